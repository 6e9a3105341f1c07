-- Grain: one row per live credit facility (activated on or before the report date and not closed;
-- closed ones stay in the earlier dates' rows). The borrower's whole exposure is classified by
-- its worst obligation: days past due and risk category (an aging bucket; a defaulted obligation
-- puts the facility in the last one).
with worst as (
    select
        facility_id,
        max(days_past_due) as days_past_due,
        max(case when status = 'defaulted' then 1 else 0 end) as has_defaulted
    from {{ ref('int_obligations') }}
    where outstanding > 0
    group by facility_id
)

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
    coalesce(w.days_past_due, 0) as days_past_due,
    {{ lana.aging_bucket('coalesce(w.days_past_due, 0)', 'coalesce(w.has_defaulted, 0) = 1') }} as risk_category
from {{ ref('int_credit_facilities') }} f
cross join {{ ref('int_report_date') }} r
left join worst w on w.facility_id = f.facility_id
where f.activated_on is not null and f.status <> 'closed'
