-- Every raw event and ledger row appears exactly once in staging (incremental models included).
{% set tables = [
    'customer_events', 'deposit_account_events', 'deposit_events', 'withdrawal_events',
    'credit_facility_events', 'disbursal_events', 'obligation_events', 'payment_events',
    'interest_accrual_cycle_events', 'btc_price_events', 'business_day_events',
    'ledger_transactions', 'ledger_entries', 'ledger_balance_history',
] %}
select * from (
    {% for table in tables %}
    select '{{ table }}' as raw_table,
           (select count(*) from {{ source('raw', table) }}) as raw_rows,
           (select count(*) from {{ ref('stg_' ~ table) }}) as staged_rows
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
) counts
where raw_rows <> staged_rows
