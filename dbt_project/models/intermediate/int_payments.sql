-- One row per payment received on or before the report date, split into interest and principal.
with events as (
    {{ lana.events_as_of(ref('stg_payment_events')) }}
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
