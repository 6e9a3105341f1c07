{{ config(**lana.merged_on(['facility_id', 'sequence'], ['tx_id'])) }}
-- Full state history of each credit facility: one row per event, with the state it left the
-- facility in (running totals) and the interval that state was valid for.
-- Incremental: a build recomputes every event of the facilities that gained events since the last
-- build (raw rows load in transaction-id order, so those have a tx_id at or above the largest one
-- built), each from its whole history; a full refresh gives the same rows
-- (tests/integration/test_reports.py). A table built before `tx_id` existed is rebuilt whole.
{% set incremental = lana.is_incremental_build() and lana.relation_has_column(this, 'tx_id') %}

with
{% if incremental %}
touched as (
    {{ lana.keys_with_new_rows(ref('stg_credit_facility_events'), 'facility_id') }}
),
{% endif %}

events as (
    select f.*
    from {{ ref('stg_credit_facility_events') }} f
    {% if incremental -%}
    where f.facility_id in (select t.facility_id from touched t)
    {%- endif %}
),

running as (
    select
        facility_id,
        sequence,
        event_type,
        recorded_at,
        business_date,
        sum(case when event_type = 'disbursal_settled' then amount else 0 end)
            over (partition by facility_id order by sequence rows unbounded preceding) as disbursed,
        -- principal repaid or written off
        sum(case when event_type = 'payment_recorded' then principal_amount
                 when event_type = 'written_off' then principal_written_off else 0 end)
            over (partition by facility_id order by sequence rows unbounded preceding) as principal_off_the_books,
        max(case event_type when 'initialized' then 1 when 'approved' then 2 when 'activated' then 3
                            when 'matured' then 4 when 'completed' then 5 when 'written_off' then 6 end)
            over (partition by facility_id order by sequence rows unbounded preceding) as status_rank,
        lead(recorded_at) over (partition by facility_id order by sequence) as valid_to,
        tx_id
    from events
)

select
    facility_id,
    sequence,
    event_type,
    case status_rank when 1 then 'proposed' when 2 then 'approved' when 3 then 'active'
                     when 4 then 'matured' when 5 then 'closed' when 6 then 'written_off' end as status,
    cast(disbursed as {{ dbt.type_bigint() }}) as disbursed,
    cast(disbursed - principal_off_the_books as {{ dbt.type_bigint() }}) as principal_outstanding,
    business_date,
    recorded_at as valid_from,
    valid_to,
    tx_id
from running
