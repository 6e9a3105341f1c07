{% set key = ['transaction_id', 'entry_index'] %}
{{ config(
    materialized='incremental',
    incremental_strategy=lana.append_only_strategy(),
    unique_key=key,
    indexes=lana.incremental_indexes(key, ['tx_id', 'effective_date'])
) }}

select
    cast(transaction_id as {{ dbt.type_string() }}) as transaction_id,
    entry_index,
    cast(account_id as {{ dbt.type_string() }}) as account_id,
    side,
    amount,
    case when side = 'debit' then amount else 0 end as debit_amount,
    case when side = 'credit' then amount else 0 end as credit_amount,
    currency,
    effective_date,
    recorded_at,
    tx_id
from {{ source('raw', 'ledger_entries') }}
{{ lana.new_rows_only() }}
