{{ config(**lana.merged_on('movement_id', ['tx_id'], append_only=true)) }}
-- Every movement the AML rules screen (all time; reports keep what is on or before their date):
-- each deposit, and each withdrawal when it was asked for, whatever became of it (confirmed,
-- cancelled or still pending): an attempt to move money is screened even if it never left.
-- Incremental as int_deposit_flows is: a movement's row is read from the event that creates it,
-- so a build adds the rows of the events loaded since the last one.
{% set incremental = lana.is_incremental_build() and lana.relation_has_column(this, 'tx_id') %}
{% set built = lana.built_max('tx_id') if incremental else none %}
select
    movement_id,
    movement_type,
    deposit_account_id,
    amount,
    recorded_at,
    business_date,
    tx_id
from {{ ref('int_deposit_flows') }}
where movement_type = 'deposit'
    {% if incremental %}and tx_id >= {{ built }}{% endif %}

union all

select
    withdrawal_id as movement_id,
    'withdrawal' as movement_type,
    deposit_account_id,
    amount,
    recorded_at,
    business_date,
    tx_id
from {{ ref('stg_withdrawal_events') }}
where event_type = 'initialized'
    {% if incremental %}and tx_id >= {{ built }}{% endif %}
