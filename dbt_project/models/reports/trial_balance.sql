-- Grain: one row per ledger account (each account has one currency), as of the report date.
select
    r.as_of_date,
    b.account_code,
    b.account_name,
    b.account_set_code,
    b.account_set_name,
    b.category,
    b.normal_side,
    b.currency,
    b.debit_total,
    b.credit_total,
    cast(case when b.debit_total >= b.credit_total then b.debit_total - b.credit_total else 0 end
        as {{ dbt.type_bigint() }}) as debit_balance,
    cast(case when b.credit_total > b.debit_total then b.credit_total - b.debit_total else 0 end
        as {{ dbt.type_bigint() }}) as credit_balance
from {{ ref('int_ledger_balances') }} b
cross join {{ ref('int_report_date') }} r
where b.debit_total <> 0 or b.credit_total <> 0
