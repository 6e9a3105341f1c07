select
    cast(id as {{ dbt.type_string() }}) as account_set_id,
    cast(journal_id as {{ dbt.type_string() }}) as journal_id,
    code as account_set_code,
    name as account_set_name,
    category,
    normal_side,
    cast(parent_id as {{ dbt.type_string() }}) as parent_account_set_id,
    created_at,
    tx_id
from {{ source('raw', 'ledger_account_sets') }}
