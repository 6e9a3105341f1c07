-- One row per facility written off by the report date (the write-off policy,
-- core_app/domain/write_off.py): what was removed from the books, and what has been recovered since.
with events as (
    {{ lana.events_as_of(ref('stg_credit_facility_events')) }}
),

recovered as (
    select facility_id, sum(amount) as recovered, max(recovered_on) as last_recovered_on
    from events
    where event_type = 'recovery_recorded'
    group by facility_id
)

select
    w.facility_id,
    w.written_off_on,
    w.write_off_reason,
    w.principal_written_off,
    w.interest_written_off,
    cast(coalesce(r.recovered, 0) as {{ dbt.type_bigint() }}) as recovered,
    r.last_recovered_on
from events w
left join recovered r on r.facility_id = w.facility_id
where w.event_type = 'written_off'
