-- Grain: one row per risk category (aging bucket), as of the report date: the live facilities whose
-- worst obligation puts them there, their whole exposure (principal + interest receivable), the
-- policy's rate and the provision it requires (per facility, rounded half up), in USD cents. The
-- total equals the allowance the core has booked (test allowance_equals_required_provision).
select
    r.as_of_date,
    p.aging_bucket,
    p.bucket_order,
    count(f.facility_id) as facilities,
    cast(coalesce(sum(f.exposure), 0) as {{ dbt.type_bigint() }}) as exposure_cents,
    p.provision_rate_bps,
    cast(coalesce(sum(f.required_provision), 0) as {{ dbt.type_bigint() }}) as required_provision_cents
from {{ ref('provision_rates') }} p
cross join {{ ref('int_report_date') }} r
left join {{ ref('int_facility_risk') }} f on f.risk_category = p.aging_bucket
group by r.as_of_date, p.aging_bucket, p.bucket_order, p.provision_rate_bps
