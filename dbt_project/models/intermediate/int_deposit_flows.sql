-- Money in and out of deposit accounts (deposits, confirmed withdrawals), one row per movement.
select
    d.deposit_id as movement_id,
    'deposit' as movement_type,
    d.deposit_account_id,
    d.amount,
    d.reference,
    d.recorded_at,
    d.business_date
from {{ ref('stg_deposit_events') }} d
where d.event_type = 'initialized'

union all

select
    w.withdrawal_id as movement_id,
    'withdrawal' as movement_type,
    i.deposit_account_id,
    i.amount,
    i.reference,
    w.recorded_at,
    w.business_date
from {{ ref('stg_withdrawal_events') }} w
join {{ ref('stg_withdrawal_events') }} i on i.withdrawal_id = w.withdrawal_id and i.event_type = 'initialized'
where w.event_type = 'confirmed'
