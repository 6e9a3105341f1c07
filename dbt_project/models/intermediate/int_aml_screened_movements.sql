-- Every movement the AML rules screen (all time; reports keep what is on or before their date):
-- each deposit, and each withdrawal when it was asked for, whatever became of it (confirmed,
-- cancelled or still pending): an attempt to move money is screened even if it never left.
select
    movement_id,
    movement_type,
    deposit_account_id,
    amount,
    recorded_at,
    business_date
from {{ ref('int_deposit_flows') }}
where movement_type = 'deposit'

union all

select
    withdrawal_id as movement_id,
    'withdrawal' as movement_type,
    deposit_account_id,
    amount,
    recorded_at,
    business_date
from {{ ref('stg_withdrawal_events') }}
where event_type = 'initialized'
