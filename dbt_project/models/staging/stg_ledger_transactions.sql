{{ config(
    materialized='incremental',
    incremental_strategy=lana.append_only_strategy(),
    unique_key='transaction_id',
    indexes=lana.incremental_indexes('transaction_id', ['tx_id'])
) }}

select
    cast(id as {{ dbt.type_string() }}) as transaction_id,
    cast(journal_id as {{ dbt.type_string() }}) as journal_id,
    template,
    effective_date,
    cast(correlation_id as {{ dbt.type_string() }}) as correlation_id,
    description,
    {{ lana.json_text('metadata', 'deposit_account_id') }} as deposit_account_id,
    recorded_at,
    global_position,
    tx_id
from {{ source('raw', 'ledger_transactions') }}
{{ lana.new_rows_only() }}
