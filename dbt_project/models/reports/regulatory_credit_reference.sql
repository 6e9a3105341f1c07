-- Grain: one row per loan (credit facility) with principal outstanding on the report date: the
-- borrower's pseudonymous id, amounts, dates, rate, days past due of principal and of interest,
-- NCB-022 risk category and reserve (the provisioning policy), collateral value and net risk
-- (exposure less the collateral the policy counts), in USD cents. Delivered as XML, validated
-- against its XSD.
with late as (
    select
        facility_id,
        max(case when obligation_type = 'principal' then days_past_due else 0 end) as principal_days,
        max(case when obligation_type = 'interest' then days_past_due else 0 end) as interest_days
    from {{ ref('int_obligations') }}
    where outstanding > 0
    group by facility_id
)

select
    r.as_of_date,
    f.facility_id as reference,
    f.customer_id as borrower_id,
    f.facility_limit as granted_cents,
    f.disbursed as disbursed_cents,
    f.ledger_principal as principal_outstanding_cents,
    f.accrued_interest as interest_outstanding_cents,
    f.activated_on as start_date,
    f.maturity_date,
    f.annual_rate_bps,
    coalesce(l.principal_days, 0) as principal_days_past_due,
    coalesce(l.interest_days, 0) as interest_days_past_due,
    k.risk_category,
    k.required_provision as provision_cents,
    k.collateral_value as collateral_value_cents,
    k.net_exposure as net_risk_cents
from {{ ref('int_credit_facilities') }} f
inner join {{ ref('int_facility_risk') }} k on k.facility_id = f.facility_id
left join late l on l.facility_id = f.facility_id
cross join {{ ref('int_report_date') }} r
where f.ledger_principal > 0
