-- One row per sale of collateral recorded on or before the report date, with how its proceeds
-- were applied (the payment it made: interest, principal) and the surplus.
with events as (
    {{ lana.events_as_of(ref('stg_credit_facility_events')) }}
)

select
    s.liquidation_id,
    s.facility_id,
    s.liquidated_on,
    s.liquidation_trigger,
    s.sats_sold,
    s.collateral_sats as collateral_left_sats,
    s.price_cents,
    s.sale_value,
    s.fee,
    s.proceeds,
    s.payment_id,
    cast(coalesce(p.interest_amount, 0) as {{ dbt.type_bigint() }}) as interest_repaid,
    cast(coalesce(p.principal_amount, 0) as {{ dbt.type_bigint() }}) as principal_repaid,
    s.surplus
from events s
left join {{ ref('int_payments') }} p on p.payment_id = s.payment_id
where s.event_type = 'collateral_liquidated'
