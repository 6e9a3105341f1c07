-- Grain: one row per deposit or confirmed withdrawal at or above the large-transaction threshold
-- (the aml_settings seed) recorded on the report date: the supervisor's daily file of large cash
-- transactions (its CSV is validated against schemas/large_cash_transactions.json before delivery).
select
    r.as_of_date,
    m.movement_id,
    m.movement_type,
    a.customer_id,
    m.deposit_account_id,
    m.amount as amount_cents,
    'USD' as currency,
    m.recorded_at
from {{ ref('int_deposit_flows') }} m
inner join {{ ref('int_deposit_accounts') }} a on a.deposit_account_id = m.deposit_account_id
cross join {{ ref('int_report_date') }} r
cross join {{ ref('aml_settings') }} s
where m.business_date = r.as_of_date
  and m.amount >= s.large_transaction_threshold_cents
