-- Grain: one row per open credit facility (active or matured) as of the report date: collateral
-- value at the price in force, collateral-to-loan ratio and whether it is in margin call or
-- liquidation territory under its terms.
with open_facilities as (
    select f.*,
           case when f.disbursed > 0 then f.principal_outstanding else f.facility_limit end as exposure
    from {{ ref('int_credit_facilities') }} f
    where f.status in ('active', 'matured')
),

valued as (
    select o.*, p.price_cents,
           {{ lana.btc_value_cents('o.collateral_sats', 'p.price_cents') }} as collateral_value_cents
    from open_facilities o
    cross join {{ ref('int_btc_price') }} p
)

select
    r.as_of_date,
    v.facility_id,
    v.customer_id,
    v.collateral_sats,
    v.price_cents,
    v.collateral_value_cents,
    v.exposure as exposure_cents,
    case when v.exposure > 0
        then cast(floor(cast(v.collateral_value_cents as {{ dbt.type_numeric() }}) * 10000 / v.exposure)
                  as {{ dbt.type_bigint() }}) end as cvl_bps,
    v.margin_call_cvl_bps,
    v.liquidation_cvl_bps,
    case
        when v.exposure = 0 then 'no_exposure'
        -- In numeric: value x 10,000 can exceed 64 bits for very large collateral.
        when cast(v.collateral_value_cents as {{ dbt.type_numeric() }}) * 10000
             < cast(v.liquidation_cvl_bps as {{ dbt.type_numeric() }}) * v.exposure then 'liquidation'
        when cast(v.collateral_value_cents as {{ dbt.type_numeric() }}) * 10000
             < cast(v.margin_call_cvl_bps as {{ dbt.type_numeric() }}) * v.exposure then 'margin_call'
        else 'ok'
    end as collateral_status
from valued v
cross join {{ ref('int_report_date') }} r
