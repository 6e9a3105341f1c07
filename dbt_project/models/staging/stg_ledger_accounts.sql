select
    cast(id as {{ dbt.type_string() }}) as account_id,
    code as account_code,
    name as account_name,
    category,
    normal_side,
    currency,
    cast(account_set_id as {{ dbt.type_string() }}) as account_set_id,
    cast(external_id as {{ dbt.type_string() }}) as external_id,
    created_at,
    tx_id
from {{ source('raw', 'ledger_accounts') }}
