-- Full state history of each credit facility: one row per event, with the state it left the
-- facility in (running totals) and the interval that state was valid for.
with events as (
    select * from {{ ref('stg_credit_facility_events') }}
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
        sum(case when event_type = 'payment_recorded' then principal_amount else 0 end)
            over (partition by facility_id order by sequence rows unbounded preceding) as principal_repaid,
        max(case event_type when 'initialized' then 1 when 'approved' then 2 when 'activated' then 3
                            when 'matured' then 4 when 'completed' then 5 end)
            over (partition by facility_id order by sequence rows unbounded preceding) as status_rank,
        lead(recorded_at) over (partition by facility_id order by sequence) as valid_to
    from events
)

select
    facility_id,
    sequence,
    event_type,
    case status_rank when 1 then 'proposed' when 2 then 'approved' when 3 then 'active'
                     when 4 then 'matured' when 5 then 'closed' end as status,
    cast(disbursed as {{ dbt.type_bigint() }}) as disbursed,
    cast(disbursed - principal_repaid as {{ dbt.type_bigint() }}) as principal_outstanding,
    business_date,
    recorded_at as valid_from,
    valid_to
from running
