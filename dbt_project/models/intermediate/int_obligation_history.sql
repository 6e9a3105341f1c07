{{ config(**lana.merged_on(['obligation_id', 'sequence'], ['tx_id'])) }}
-- Full state history of each obligation: one row per event with the amount still owed after it and
-- the interval that state was valid for.
-- Incremental as int_credit_facility_history is: a build recomputes every event of the
-- obligations that gained events since the last one, each from its whole history.
{% set incremental = lana.is_incremental_build() and lana.relation_has_column(this, 'tx_id') %}

with
{% if incremental %}
touched as (
    {{ lana.keys_with_new_rows(ref('stg_obligation_events'), 'obligation_id') }}
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
    cast(e.original_amount - sum(case e.event_type when 'payment_allocated' then e.amount
                                                   when 'written_off' then e.written_off else 0 end)
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
