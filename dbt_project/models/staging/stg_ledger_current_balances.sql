-- The core's latest balances (a full copy each load): used to reconcile, never for as-of reports.
select
    cast(account_id as {{ dbt.type_string() }}) as account_id,
    currency,
    version,
    debit_total,
    credit_total,
    balance,
    updated_at
from {{ source('raw', 'ledger_current_balances') }}
