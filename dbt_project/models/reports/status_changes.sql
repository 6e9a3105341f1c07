-- Grain: one row per change of status of a credit facility or of one of its obligations, from the
-- start of the report date's year to the report date: what it was, what it became, on which
-- business date, and what was still owed after it (a facility: its principal outstanding).
with report as (
    select as_of_date, cast({{ dbt.date_trunc('year', 'as_of_date') }} as date) as year_start
    from {{ ref('int_report_date') }}
),

obligation_statuses as (
    select
        h.obligation_id,
        h.sequence,
        h.status_change as status,
        h.outstanding,
        h.business_date,
        lag(h.status_change) over (partition by h.obligation_id order by h.sequence) as previous_status
    from {{ ref('int_obligation_history') }} h
    where h.status_change is not null
),

facility_statuses as (
    select
        h.facility_id,
        h.sequence,
        h.status,
        h.principal_outstanding,
        h.business_date,
        lag(h.status) over (partition by h.facility_id order by h.sequence) as previous_status
    from {{ ref('int_credit_facility_history') }} h
),

changes as (
    select
        o.business_date as changed_on,
        c.facility_id,
        'obligation' as subject,
        o.obligation_id as subject_id,
        c.obligation_type,
        o.sequence,
        o.previous_status as from_status,
        o.status as to_status,
        o.outstanding as outstanding_cents
    from obligation_statuses o
    inner join {{ ref('int_obligations') }} c on c.obligation_id = o.obligation_id
    union all
    select
        f.business_date as changed_on,
        f.facility_id,
        'facility' as subject,
        f.facility_id as subject_id,
        cast(null as {{ dbt.type_string() }}) as obligation_type,
        f.sequence,
        f.previous_status as from_status,
        f.status as to_status,
        f.principal_outstanding as outstanding_cents
    from facility_statuses f
    where f.previous_status is null or f.previous_status <> f.status
)

select
    r.as_of_date,
    c.changed_on,
    c.facility_id,
    c.subject,
    c.subject_id,
    c.obligation_type,
    c.sequence,
    c.from_status,
    c.to_status,
    cast(c.outstanding_cents as {{ dbt.type_bigint() }}) as outstanding_cents
from changes c
cross join report r
where c.changed_on between r.year_start and r.as_of_date
