-- Full state history of each obligation: one row per event with the amount still owed after it and
-- the interval that state was valid for.
with events as (
    select
        o.*,
        first_value(o.amount) over (partition by o.obligation_id order by o.sequence) as original_amount
    from {{ ref('stg_obligation_events') }} o
)

select
    obligation_id,
    sequence,
    event_type,
    case event_type
        when 'initialized' then 'not_yet_due' when 'due_recorded' then 'due'
        when 'overdue_recorded' then 'overdue' when 'defaulted_recorded' then 'defaulted'
        when 'completed' then 'paid'
    end as status_change,
    cast(original_amount - sum(case when event_type = 'payment_allocated' then amount else 0 end)
        over (partition by obligation_id order by sequence rows unbounded preceding) as {{ dbt.type_bigint() }})
        as outstanding,
    business_date,
    recorded_at as valid_from,
    lead(recorded_at) over (partition by obligation_id order by sequence) as valid_to
from events
