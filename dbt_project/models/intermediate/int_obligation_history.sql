{% set key = ['obligation_id', 'sequence'] %}
{{ config(
    materialized='incremental',
    unique_key=key,
    indexes=lana.incremental_indexes(key, ['tx_id']),
    incremental_strategy=('merge' if target.type == 'bigquery' else 'delete+insert'),
    on_schema_change='append_new_columns'
) }}
-- Full state history of each obligation: one row per event with the amount still owed after it and
-- the interval that state was valid for.
-- Incremental: a build recomputes every event of the obligations that gained events since the last
-- build (raw rows load in transaction-id order, so those have a tx_id at or above the largest one
-- built), each from its whole history; a full refresh gives the same rows
-- (tests/integration/test_reports.py). A table built before `tx_id` existed is rebuilt whole.
{% set incremental = lana.is_incremental_build() and lana.relation_has_column(this, 'tx_id') %}

with
{% if incremental %}
touched as (
    select distinct n.obligation_id
    from {{ ref('stg_obligation_events') }} n
    where n.tx_id >= {{ lana.built_max('tx_id') }}
),
{% endif %}

events as (
    select
        o.*,
        first_value(o.amount) over (partition by o.obligation_id order by o.sequence) as original_amount,
        first_value(o.due_date) over (partition by o.obligation_id order by o.sequence) as original_due_date,
        first_value(o.defaulted_date) over (partition by o.obligation_id order by o.sequence)
            as original_defaulted_date
    from {{ ref('stg_obligation_events') }} o
    {% if incremental -%}
    where o.obligation_id in (select t.obligation_id from touched t)
    {%- endif %}
)

select
    e.obligation_id,
    e.sequence,
    e.event_type,
    -- The status the event sets (the event_statuses seed, from the core's event contract).
    s.status as status_change,
    cast(e.original_amount - sum(case when e.event_type = 'payment_allocated' then e.amount else 0 end)
        over (partition by e.obligation_id order by e.sequence rows unbounded preceding)
        as {{ dbt.type_bigint() }}) as outstanding,
    e.original_due_date as due_date,
    e.original_defaulted_date as defaulted_date,
    e.business_date,
    e.recorded_at as valid_from,
    lead(e.recorded_at) over (partition by e.obligation_id order by e.sequence) as valid_to,
    e.tx_id
from events e
left join {{ ref('event_statuses') }} s on s.aggregate = 'obligation' and s.event_type = e.event_type
