-- One row per payment received on or before the report date, split into interest and principal.
with events as (
    select p.*
    from {{ ref('stg_payment_events') }} p
    cross join {{ ref('int_report_date') }} r
    where p.business_date <= r.as_of_date
)

select
    i.payment_id,
    i.facility_id,
    i.amount,
    cast(coalesce(sum(case when a.obligation_type = 'interest' then a.amount end), 0) as {{ dbt.type_bigint() }})
        as interest_amount,
    cast(coalesce(sum(case when a.obligation_type = 'principal' then a.amount end), 0) as {{ dbt.type_bigint() }})
        as principal_amount,
    i.recorded_at,
    i.business_date
from events i
left join events a on a.payment_id = i.payment_id and a.event_type = 'payment_allocated'
where i.event_type = 'initialized'
group by i.payment_id, i.facility_id, i.amount, i.recorded_at, i.business_date
