-- Each obligation as of the report date: what is still owed and how late it is.
-- Status follows from the dates and the payments recorded by then, as the core's end of day does.
with report as (
    select as_of_date from {{ ref('int_report_date') }}
),

created as (
    select o.obligation_id, o.facility_id, o.obligation_type, o.amount, o.reference_id,
           o.due_date, o.overdue_date, o.defaulted_date, o.business_date as created_on
    from {{ ref('stg_obligation_events') }} o
    cross join report r
    where o.event_type = 'initialized' and o.business_date <= r.as_of_date
),

paid as (
    select o.obligation_id, sum(o.amount) as paid
    from {{ ref('stg_obligation_events') }} o
    cross join report r
    where o.event_type = 'payment_allocated' and o.business_date <= r.as_of_date
    group by o.obligation_id
),

owed as (
    select c.*,
           cast(coalesce(p.paid, 0) as {{ dbt.type_bigint() }}) as paid,
           cast(c.amount - coalesce(p.paid, 0) as {{ dbt.type_bigint() }}) as outstanding,
           r.as_of_date
    from created c
    cross join report r
    left join paid p on p.obligation_id = c.obligation_id
)

select
    obligation_id,
    facility_id,
    obligation_type,
    amount,
    paid,
    outstanding,
    reference_id,
    created_on,
    due_date,
    overdue_date,
    defaulted_date,
    case
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
