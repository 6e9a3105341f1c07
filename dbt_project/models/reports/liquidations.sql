-- Grain: one row per sale of a facility's collateral by the bank (the liquidation policy,
-- core_app/domain/liquidation.py) from the start of the report date's year to the report date:
-- what was sold, at what price, the exchange's fee, and where the proceeds went (interest, then
-- principal, then the surplus to the borrower's deposit account).
select
    r.as_of_date,
    l.liquidation_id,
    l.facility_id,
    f.customer_id,
    l.liquidated_on,
    l.liquidation_trigger,
    l.sats_sold,
    l.price_cents,
    l.sale_value as sale_value_cents,
    l.fee as fee_cents,
    l.proceeds as proceeds_cents,
    l.interest_repaid as interest_repaid_cents,
    l.principal_repaid as principal_repaid_cents,
    l.surplus as surplus_cents,
    l.collateral_left_sats,
    f.status as facility_status
from {{ ref('int_liquidations') }} l
inner join {{ ref('int_credit_facilities') }} f on f.facility_id = l.facility_id
cross join {{ ref('int_report_date') }} r
where l.liquidated_on >= cast({{ dbt.date_trunc('year', 'r.as_of_date') }} as date)
