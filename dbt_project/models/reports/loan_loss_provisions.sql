-- Grain: one row per NCB-022 risk category, as of the report date: the live facilities whose worst
-- obligation puts them there, their whole exposure (principal + interest receivable), their
-- collateral at the price in force and as the policy counts it (less the haircut), the exposure
-- that leaves, the category's rate and the reserve it requires (per facility, rounded half up), in
-- USD cents. The total equals the allowance the core has booked (test allowance_equals_required_provision).
select
    r.as_of_date,
    p.risk_category,
    p.category_order,
    p.is_non_performing,
    count(f.facility_id) as facilities,
    cast(coalesce(sum(f.exposure), 0) as {{ dbt.type_bigint() }}) as exposure_cents,
    cast(coalesce(sum(f.collateral_value), 0) as {{ dbt.type_bigint() }}) as collateral_value_cents,
    cast(coalesce(sum(f.collateral_counted), 0) as {{ dbt.type_bigint() }}) as collateral_counted_cents,
    cast(coalesce(sum(f.net_exposure), 0) as {{ dbt.type_bigint() }}) as net_exposure_cents,
    p.provision_rate_bps,
    cast(coalesce(sum(f.required_provision), 0) as {{ dbt.type_bigint() }}) as required_provision_cents
from {{ ref('provision_rates') }} p
cross join {{ ref('int_report_date') }} r
left join {{ ref('int_facility_risk') }} f on f.risk_category = p.risk_category
group by r.as_of_date, p.risk_category, p.category_order, p.is_non_performing, p.provision_rate_bps
