-- Grain: one row per aging bucket (current, 1-30, 31-60, 61-90, 90+ days past due), as of the report
-- date: number of unpaid obligations and the amount outstanding, in USD cents.
with buckets as (
    select
        obligation_id,
        outstanding,
        {{ lana.aging_bucket('days_past_due', "status = 'defaulted'") }} as aging_bucket
    from {{ ref('int_obligations') }}
    where outstanding > 0
)

select
    r.as_of_date,
    p.aging_bucket,
    p.bucket_order,
    count(b.obligation_id) as obligations,
    cast(coalesce(sum(b.outstanding), 0) as {{ dbt.type_bigint() }}) as outstanding_cents
from {{ ref('aging_buckets') }} p
cross join {{ ref('int_report_date') }} r
left join buckets b on b.aging_bucket = p.aging_bucket
group by r.as_of_date, p.aging_bucket, p.bucket_order
