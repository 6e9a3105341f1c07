{% set key = ['deposit_id', 'sequence'] %}
{{ config(
    materialized='incremental',
    incremental_strategy=lana.append_only_strategy(),
    unique_key=key,
    indexes=lana.incremental_indexes(key, ['tx_id'])
) }}

with source as (
    select * from {{ source('raw', 'deposit_events') }}
    {{ lana.new_rows_only() }}
)

select
    cast(id as {{ dbt.type_string() }}) as deposit_id,
    sequence,
    event_type,
    {{ lana.json_text('event', 'deposit_account_id') }} as deposit_account_id,
    {{ lana.json_bigint('event', 'amount') }} as amount,
    {{ lana.json_text('event', 'reference') }} as reference,
    {{ lana.event_metadata_columns() }}
from source
