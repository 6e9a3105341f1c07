-- Each obligation as of the report date: what is still owed and how late it is.
-- Status follows from the dates and the payments recorded by then, as the core's end of day does.
with report as (
    select as_of_date from {{ ref('int_report_date') }}
),

events as (
    {{ lana.events_as_of(ref('stg_obligation_events')) }}
),

created as (
    select obligation_id, facility_id, obligation_type, amount, reference_id,
           due_date, overdue_date, defaulted_date, business_date as created_on
    from events
    where event_type = 'initialized'
),

paid as (
    select obligation_id, sum(amount) as paid
    from events
    where event_type = 'payment_allocated'
    group by obligation_id
),

written_off as (
    select obligation_id, written_off from events where event_type = 'written_off'
),

owed as (
    select c.*,
           cast(coalesce(p.paid, 0) as {{ dbt.type_bigint() }}) as paid,
           cast(coalesce(w.written_off, 0) as {{ dbt.type_bigint() }}) as written_off,
           cast(c.amount - coalesce(p.paid, 0) - coalesce(w.written_off, 0) as {{ dbt.type_bigint() }})
               as outstanding,
           r.as_of_date
    from created c
    cross join report r
    left join paid p on p.obligation_id = c.obligation_id
    left join written_off w on w.obligation_id = c.obligation_id
)

select
    obligation_id,
    facility_id,
    obligation_type,
    amount,
    paid,
    written_off,
    outstanding,
    reference_id,
    created_on,
    due_date,
    overdue_date,
    defaulted_date,
    case
        when written_off > 0 then 'written_off'
        when outstanding = 0 then 'paid'
        when as_of_date >= defaulted_date then 'defaulted'
        when as_of_date >= overdue_date then 'overdue'
        when as_of_date >= due_date then 'due'
        else 'not_yet_due'
    end as status,
    case
        when outstanding > 0 and as_of_date > due_date
            then {{ lana.days_between('due_date', 'as_of_date') }}
        else 0
    end as days_past_due
from owed
