-- Each live facility (activated, not closed) as of the report date: its whole exposure (principal
-- and interest receivable, ledger balances) classified by its worst unpaid obligation, and the
-- provision the policy requires, rounded half up per facility as the core's end of day books it.
with worst as (
    select
        facility_id,
        max(days_past_due) as days_past_due,
        max(case when status = 'defaulted' then 1 else 0 end) as has_defaulted
    from {{ ref('int_obligations') }}
    where outstanding > 0
    group by facility_id
),

classified as (
    select
        f.facility_id,
        cast(f.ledger_principal + f.accrued_interest as {{ dbt.type_bigint() }}) as exposure,
        coalesce(w.days_past_due, 0) as days_past_due,
        {{ lana.aging_bucket('coalesce(w.days_past_due, 0)', 'coalesce(w.has_defaulted, 0) = 1') }}
            as risk_category
    from {{ ref('int_credit_facilities') }} f
    left join worst w on w.facility_id = f.facility_id
    where f.activated_on is not null and f.status <> 'closed'
)

select
    c.facility_id,
    c.exposure,
    c.days_past_due,
    c.risk_category,
    p.bucket_order,
    p.provision_rate_bps,
    cast(floor((cast(c.exposure as {{ dbt.type_numeric() }}) * p.provision_rate_bps + 5000) / 10000)
        as {{ dbt.type_bigint() }}) as required_provision
from classified c
join {{ ref('provision_rates') }} p on p.aging_bucket = c.risk_category
