{% set key = ['cycle_id', 'sequence'] %}
{{ config(
    materialized='incremental',
    incremental_strategy=lana.append_only_strategy(),
    unique_key=key,
    indexes=lana.incremental_indexes(key, ['tx_id'])
) }}

with source as (
    select * from {{ source('raw', 'interest_accrual_cycle_events') }}
    {{ lana.new_rows_only() }}
)

select
    cast(id as {{ dbt.type_string() }}) as cycle_id,
    sequence,
    event_type,
    {{ lana.json_text('event', 'facility_id') }} as facility_id,
    {{ lana.json_int('event', 'idx') }} as idx,
    {{ lana.json_date('event', 'period_start') }} as period_start,
    {{ lana.json_date('event', 'period_end') }} as period_end,
    {{ lana.json_int('event', 'annual_rate_bps') }} as annual_rate_bps,
    {{ lana.json_date('event', 'accrued_on') }} as accrued_on,
    {{ lana.json_bigint('event', 'principal') }} as principal,
    {{ lana.json_bigint('event', 'amount') }} as amount,
    {{ lana.json_bigint('event', 'cumulative') }} as cumulative,
    {{ lana.json_date('event', 'posted_on') }} as posted_on,
    {{ lana.json_bigint('event', 'total') }} as total,
    {{ lana.json_text('event', 'obligation_id') }} as obligation_id,
    {{ lana.event_metadata_columns() }}
from source
