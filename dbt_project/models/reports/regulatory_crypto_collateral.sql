-- Grain: one row per loan of the credit reference (principal outstanding) holding BTC collateral,
-- as of the report date: the BTC pledged now, its value when first pledged (at the price of the
-- activation's assessment) and at the price in force, when that price was recorded, and the
-- coverage (market value / exposure, basis points). Each reference is a loan of
-- regulatory_credit_reference (checked across the two files before delivery).
select
    r.as_of_date,
    f.facility_id as reference,
    f.collateral_sats,
    {{ lana.btc_value_cents('f.pledged_sats', 'f.pledge_price_cents') }} as pledge_value_cents,
    k.collateral_value as market_value_cents,
    p.priced_at as valued_at,
    cast(floor(cast(k.collateral_value as {{ dbt.type_numeric() }}) * 10000 / k.exposure)
        as {{ dbt.type_bigint() }}) as coverage_bps
from {{ ref('int_credit_facilities') }} f
inner join {{ ref('int_facility_risk') }} k on k.facility_id = f.facility_id
cross join {{ ref('int_btc_price') }} p
cross join {{ ref('int_report_date') }} r
where f.ledger_principal > 0 and f.collateral_sats > 0
