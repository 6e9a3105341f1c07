-- Grain: one row per snapshot date and aging bucket: every month end from the first obligation's
-- month up to the report date, and the report date itself. Each snapshot is rebuilt from the
-- obligation events recorded by then, as delinquency_aging is for the report date (its last
-- snapshot equals that report, a test checks it); USD cents.
with report as (
    select as_of_date from {{ ref('int_report_date') }}
),

created as (
    select obligation_id, amount, due_date, business_date as created_on
    from {{ ref('stg_obligation_events') }}
    where event_type = 'initialized'
),

payments as (
    select obligation_id, business_date, amount
    from {{ ref('stg_obligation_events') }}
    where event_type = 'payment_allocated'
),

days as (
    {{ lana.date_spine('(select min(created_on) from created)', '(select as_of_date from report)') }}
),

snapshots as (
    select d.day as snapshot_date
    from days d
    cross join report r
    where d.day = r.as_of_date or d.day = cast({{ dbt.last_day('d.day', 'month') }} as date)
),

owed as (
    select
        s.snapshot_date,
        c.obligation_id,
        c.due_date,
        c.amount - coalesce(sum(p.amount), 0) as outstanding
    from snapshots s
    inner join created c on c.created_on <= s.snapshot_date
    left join payments p on p.obligation_id = c.obligation_id and p.business_date <= s.snapshot_date
    group by s.snapshot_date, c.obligation_id, c.due_date, c.amount
),

bucketed as (
    select
        snapshot_date,
        obligation_id,
        outstanding,
        {{ lana.aging_bucket(
            "case when snapshot_date > due_date then "
            ~ lana.days_between('due_date', 'snapshot_date') ~ " else 0 end"
        ) }} as aging_bucket
    from owed
    where outstanding > 0
)

select
    r.as_of_date,
    s.snapshot_date,
    p.aging_bucket,
    p.bucket_order,
    count(b.obligation_id) as obligations,
    cast(coalesce(sum(b.outstanding), 0) as {{ dbt.type_bigint() }}) as outstanding_cents
from snapshots s
cross join report r
cross join {{ ref('provision_rates') }} p
left join bucketed b on b.snapshot_date = s.snapshot_date and b.aging_bucket = p.aging_bucket
group by r.as_of_date, s.snapshot_date, p.aging_bucket, p.bucket_order
