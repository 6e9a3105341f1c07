-- Grain: one row per ledger entry, with its transaction, for every business day up to the report date.
select
    f.effective_date,
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
where f.effective_date <= r.as_of_date
