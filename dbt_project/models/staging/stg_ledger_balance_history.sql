{% set key = ['account_id', 'version'] %}
{{ config(
    materialized='incremental',
    incremental_strategy=lana.append_only_strategy(),
    unique_key=key,
    indexes=lana.incremental_indexes(key, ['tx_id'])
) }}

select
    cast(account_id as {{ dbt.type_string() }}) as account_id,
    version,
    cast(transaction_id as {{ dbt.type_string() }}) as transaction_id,
    currency,
    debit_total,
    credit_total,
    balance,
    effective_date,
    recorded_at,
    tx_id
from {{ source('raw', 'ledger_balance_history') }}
{{ lana.new_rows_only() }}
