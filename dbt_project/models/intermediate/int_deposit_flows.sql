{{ config(**lana.merged_on('movement_id', ['tx_id'], append_only=true)) }}
-- Money in and out of deposit accounts (deposits, confirmed withdrawals), one row per movement.
-- Incremental: a movement's row never changes once written (it is read from the event that
-- creates it), so a build adds the rows of the events loaded since the last one (raw rows load in
-- transaction-id order: tx_id at or above the largest one built); a full refresh gives the same
-- rows (tests/integration/test_reports.py). A table built before `tx_id` existed is rebuilt whole.
{% set incremental = lana.is_incremental_build() and lana.relation_has_column(this, 'tx_id') %}
{% set built = lana.built_max('tx_id') if incremental else none %}
select
    d.deposit_id as movement_id,
    'deposit' as movement_type,
    d.deposit_account_id,
    d.amount,
    d.reference,
    d.recorded_at,
    d.business_date,
    d.tx_id
from {{ ref('stg_deposit_events') }} d
where d.event_type = 'initialized'
    {% if incremental %}and d.tx_id >= {{ built }}{% endif %}

union all

select
    w.withdrawal_id as movement_id,
    'withdrawal' as movement_type,
    i.deposit_account_id,
    i.amount,
    i.reference,
    w.recorded_at,
    w.business_date,
    w.tx_id
from {{ ref('stg_withdrawal_events') }} w
join {{ ref('stg_withdrawal_events') }} i on i.withdrawal_id = w.withdrawal_id and i.event_type = 'initialized'
where w.event_type = 'confirmed'
    {% if incremental %}and w.tx_id >= {{ built }}{% endif %}
