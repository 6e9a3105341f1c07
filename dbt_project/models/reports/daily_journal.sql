-- Grain: one row per ledger entry, with its transaction, of the report date's business day (the
-- whole journal is marts.fct_ledger_entries).
select
    r.as_of_date,
    f.transaction_id,
    f.template,
    f.description,
    f.correlation_id,
    f.entry_index,
    f.account_code,
    f.account_name,
    f.side,
    f.debit_amount,
    f.credit_amount,
    f.currency,
    f.recorded_at
from {{ ref('fct_ledger_entries') }} f
cross join {{ ref('int_report_date') }} r
where f.effective_date = r.as_of_date
