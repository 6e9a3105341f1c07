-- Grain: one row per snapshot date and aging bucket: every month end from the first obligation's
-- month up to the report date, and the report date itself (before any obligation: that one).
-- Each snapshot is rebuilt from the obligation events recorded by then, as delinquency_aging is
-- for the report date (its last snapshot equals that report, a test checks it); USD cents. Amounts owed come from each
-- obligation's state history (int_obligation_history).
with report as (
    select as_of_date from {{ ref('int_report_date') }}
),

history as (
    select obligation_id, sequence, outstanding, due_date, defaulted_date, business_date
    from {{ ref('int_obligation_history') }}
),

created as (
    select obligation_id, business_date as created_on from history where sequence = 1
),

-- From the first obligation's day, or the report date itself when none was created by then (the
-- report date always has its snapshot, each bucket at zero before the first loan).
days as (
    {{ lana.date_spine(
        '(select least(coalesce((select min(created_on) from created), as_of_date), as_of_date) from report)',
        '(select as_of_date from report)'
    ) }}
),

snapshots as (
    select d.day as snapshot_date
    from days d
    cross join report r
    where d.day = r.as_of_date or d.day = cast({{ dbt.last_day('d.day', 'month') }} as date)
),

-- What each obligation owed at each snapshot: after its last event recorded by then.
states as (
    select
        s.snapshot_date,
        h.obligation_id,
        h.due_date,
        h.defaulted_date,
        h.outstanding,
        row_number() over (partition by s.snapshot_date, h.obligation_id order by h.sequence desc) as recency
    from snapshots s
    inner join history h on h.business_date <= s.snapshot_date
),

owed as (
    select snapshot_date, obligation_id, due_date, defaulted_date, outstanding from states where recency = 1
),

bucketed as (
    select
        snapshot_date,
        obligation_id,
        outstanding,
        {{ lana.aging_bucket(
            "case when snapshot_date > due_date then "
            ~ lana.days_between('due_date', 'snapshot_date') ~ " else 0 end",
            "snapshot_date >= defaulted_date"
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
cross join {{ ref('aging_buckets') }} p
left join bucketed b on b.snapshot_date = s.snapshot_date and b.aging_bucket = p.aging_bucket
group by r.as_of_date, s.snapshot_date, p.aging_bucket, p.bucket_order
