-- Each live facility (activated, not closed) as of the report date: its whole exposure (principal
-- and interest receivable, ledger balances) classified by its worst unpaid obligation into an
-- NCB-022 risk category, its collateral valued at the price in force and counted less the haircut,
-- and the reserve the policy requires on what that leaves: rounded as the core's end of day books it.
with worst as (
    select facility_id, max(days_past_due) as days_past_due
    from {{ ref('int_obligations') }}
    where outstanding > 0
    group by facility_id
),

valued as (
    select
        f.facility_id,
        cast(f.ledger_principal + f.accrued_interest as {{ dbt.type_bigint() }}) as exposure,
        coalesce(w.days_past_due, 0) as days_past_due,
        f.collateral_sats,
        {{ lana.btc_value_cents('f.collateral_sats', 'coalesce(p.price_cents, 0)') }} as collateral_value
    from {{ ref('int_credit_facilities') }} f
    left join worst w on w.facility_id = f.facility_id
    left join {{ ref('int_btc_price') }} p on true
    where f.activated_on is not null and f.status not in ('closed', 'written_off')
),

netted as (
    select
        v.*,
        {{ lana.risk_category('v.days_past_due') }} as risk_category,
        cast(floor(cast(v.collateral_value as {{ dbt.type_numeric() }})
            * (10000 - {{ lana.collateral_haircut_bps() }}) / 10000) as {{ dbt.type_bigint() }})
            as collateral_counted
    from valued v
),

exposed as (
    select
        n.*,
        greatest(n.exposure - n.collateral_counted, 0) as net_exposure
    from netted n
)

select
    e.facility_id,
    e.exposure,
    e.days_past_due,
    e.risk_category,
    p.category_order,
    e.collateral_sats,
    e.collateral_value,
    e.collateral_counted,
    e.net_exposure,
    p.provision_rate_bps,
    cast(floor((cast(e.net_exposure as {{ dbt.type_numeric() }}) * p.provision_rate_bps + 5000) / 10000)
        as {{ dbt.type_bigint() }}) as required_provision
from exposed e
inner join {{ ref('provision_rates') }} p on p.risk_category = e.risk_category
