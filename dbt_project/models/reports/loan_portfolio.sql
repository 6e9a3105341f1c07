-- Grain: one row per credit facility activated on or before the report date.
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
    f.collateralization_state
from {{ ref('int_credit_facilities') }} f
cross join {{ ref('int_report_date') }} r
where f.activated_on is not null
