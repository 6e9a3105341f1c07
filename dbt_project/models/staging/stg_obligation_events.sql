{% set key = ['obligation_id', 'sequence'] %}
{{ config(
    materialized='incremental',
    incremental_strategy=lana.append_only_strategy(),
    unique_key=key,
    indexes=lana.incremental_indexes(key, ['tx_id'])
) }}

with source as (
    select * from {{ source('raw', 'obligation_events') }}
    {{ lana.new_rows_only() }}
)

select
    cast(id as {{ dbt.type_string() }}) as obligation_id,
    sequence,
    event_type,
    {{ lana.json_text('event', 'facility_id') }} as facility_id,
    {{ lana.json_text('event', 'obligation_type') }} as obligation_type,
    {{ lana.json_bigint('event', 'amount') }} as amount,
    {{ lana.json_text('event', 'reference_id') }} as reference_id,
    {{ lana.json_date('event', 'due_date') }} as due_date,
    {{ lana.json_date('event', 'overdue_date') }} as overdue_date,
    {{ lana.json_date('event', 'defaulted_date') }} as defaulted_date,
    {{ lana.json_bigint('event', 'outstanding') }} as outstanding,
    {{ lana.json_text('event', 'payment_id') }} as payment_id,
    {{ lana.json_bigint('event', 'outstanding_after') }} as outstanding_after,
    {{ lana.json_bigint('event', 'written_off') }} as written_off,
    {{ lana.event_metadata_columns() }}
from source
