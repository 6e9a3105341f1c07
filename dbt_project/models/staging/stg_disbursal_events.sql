with source as (
    select * from {{ source('raw', 'disbursal_events') }}
)

select
    cast(id as {{ dbt.type_string() }}) as disbursal_id,
    sequence,
    event_type,
    {{ lana.json_text('event', 'facility_id') }} as facility_id,
    {{ lana.json_bigint('event', 'amount') }} as amount,
    {{ lana.json_bigint('event', 'fee') }} as fee,
    {{ lana.json_text('event', 'obligation_id') }} as obligation_id,
    {{ lana.event_metadata_columns() }}
from source
