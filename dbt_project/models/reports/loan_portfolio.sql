-- Grain: one row per live credit facility (activated on or before the report date and not closed;
-- closed ones stay in the earlier dates' rows). The borrower's whole exposure is classified by
-- its worst obligation: days past due and NCB-022 risk category, with the collateral's value, the
-- exposure it leaves and the reserve the policy requires, and whether the facility has stopped
-- accruing interest (non-accrual, from its first default).
select
    r.as_of_date,
    f.facility_id,
    f.customer_id,
    f.status,
    f.facility_limit,
    f.disbursed,
    f.principal_outstanding,
    f.accrued_interest,
    f.annual_rate_bps,
    f.activated_on,
    f.maturity_date,
    f.collateral_sats,
    f.collateralization_state,
    f.principal_repaid,
    k.days_past_due,
    k.risk_category,
    k.category_order as risk_order,
    k.collateral_value as collateral_value_cents,
    k.net_exposure as net_exposure_cents,
    k.required_provision as required_provision_cents,
    f.non_accrual_since is not null as is_non_accrual,
    f.non_accrual_since
from {{ ref('int_credit_facilities') }} f
cross join {{ ref('int_report_date') }} r
join {{ ref('int_facility_risk') }} k on k.facility_id = f.facility_id
