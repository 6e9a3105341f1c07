select
    cast(id as {{ dbt.type_string() }}) as journal_id,
    name as journal_name,
    description,
    created_at,
    tx_id
from {{ source('raw', 'ledger_journals') }}
