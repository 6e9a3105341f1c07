-- Each credit facility as of the report date, rebuilt from its events, with its ledger balances.
with events as (
    {{ lana.events_as_of(ref('stg_credit_facility_events')) }}
),

proposed as (
    select facility_id, customer_id, deposit_account_id, amount as facility_limit,
           terms_annual_rate_bps as annual_rate_bps, terms_duration_months as duration_months,
           terms_disbursal_fee_bps as disbursal_fee_bps, terms_initial_cvl_bps as initial_cvl_bps,
           terms_margin_call_cvl_bps as margin_call_cvl_bps, terms_liquidation_cvl_bps as liquidation_cvl_bps,
           business_date as proposed_on
    from events where event_type = 'initialized'
),

activated as (
    select facility_id, activated_on, maturity_date from events where event_type = 'activated'
),

status as (
    select facility_id,
           case event_type
               when 'initialized' then 'proposed' when 'approved' then 'approved' when 'activated' then 'active'
               when 'matured' then 'matured' when 'completed' then 'closed'
               when 'written_off' then 'written_off'
           end as status,
           business_date as status_since,
           row_number() over (partition by facility_id order by sequence desc) as recency
    from events
    where event_type in ('initialized', 'approved', 'activated', 'matured', 'completed', 'written_off')
),

flows as (
    select facility_id,
           sum(case when event_type = 'disbursal_settled' then amount else 0 end) as disbursed,
           sum(case when event_type = 'payment_recorded' then principal_amount else 0 end) as principal_repaid,
           sum(case when event_type = 'payment_recorded' then interest_amount else 0 end) as interest_paid,
           sum(case when event_type = 'written_off' then principal_written_off else 0 end) as principal_written_off
    from events
    group by facility_id
),

collateral as (
    select facility_id,
           case when event_type = 'completed' then 0 else collateral_sats end as collateral_sats,
           row_number() over (partition by facility_id order by sequence desc) as recency
    from events
    where event_type in ('collateral_updated', 'collateral_liquidated', 'completed')
),

non_accrual as (
    select facility_id, min(started_on) as non_accrual_since
    from events
    where event_type = 'non_accrual_started'
    group by facility_id
),

-- The first assessment (at activation): the collateral pledged and the BTC price it was valued at.
pledge as (
    select facility_id, collateral_sats as pledged_sats, price_cents as pledge_price_cents,
           row_number() over (partition by facility_id order by sequence) as earliest
    from events
    where event_type = 'collateralization_changed'
),

collateralization as (
    select facility_id, state,
           row_number() over (partition by facility_id order by sequence desc) as recency
    from events
    where event_type = 'collateralization_changed'
),

ledger as (
    select external_id as facility_id,
           sum(case when account_set_code = '1200' then balance else 0 end) as ledger_principal,
           sum(case when account_set_code = '1300' then balance else 0 end) as ledger_accrued_interest
    from {{ ref('int_ledger_balances') }}
    where account_set_code in ('1200', '1300')
    group by external_id
)

select
    p.facility_id,
    p.customer_id,
    p.deposit_account_id,
    p.facility_limit,
    p.annual_rate_bps,
    p.duration_months,
    p.disbursal_fee_bps,
    p.initial_cvl_bps,
    p.margin_call_cvl_bps,
    p.liquidation_cvl_bps,
    p.proposed_on,
    a.activated_on,
    a.maturity_date,
    s.status,
    s.status_since,
    cast(coalesce(f.disbursed, 0) as {{ dbt.type_bigint() }}) as disbursed,
    cast(coalesce(f.principal_repaid, 0) as {{ dbt.type_bigint() }}) as principal_repaid,
    cast(coalesce(f.interest_paid, 0) as {{ dbt.type_bigint() }}) as interest_paid,
    cast(coalesce(f.principal_written_off, 0) as {{ dbt.type_bigint() }}) as principal_written_off,
    cast(coalesce(f.disbursed, 0) - coalesce(f.principal_repaid, 0) - coalesce(f.principal_written_off, 0)
        as {{ dbt.type_bigint() }}) as principal_outstanding,
    cast(coalesce(l.ledger_principal, 0) as {{ dbt.type_bigint() }}) as ledger_principal,
    cast(coalesce(l.ledger_accrued_interest, 0) as {{ dbt.type_bigint() }}) as accrued_interest,
    cast(coalesce(c.collateral_sats, 0) as {{ dbt.type_bigint() }}) as collateral_sats,
    coalesce(z.state, 'not_assessed') as collateralization_state,
    n.non_accrual_since,
    g.pledged_sats,
    g.pledge_price_cents
from proposed p
left join activated a on a.facility_id = p.facility_id
left join status s on s.facility_id = p.facility_id and s.recency = 1
left join flows f on f.facility_id = p.facility_id
left join collateral c on c.facility_id = p.facility_id and c.recency = 1
left join collateralization z on z.facility_id = p.facility_id and z.recency = 1
left join non_accrual n on n.facility_id = p.facility_id
left join pledge g on g.facility_id = p.facility_id and g.earliest = 1
left join ledger l on l.facility_id = p.facility_id
