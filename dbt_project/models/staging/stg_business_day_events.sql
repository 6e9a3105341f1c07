with source as (
    select * from {{ source('raw', 'business_day_events') }}
)

select
    cast(id as {{ dbt.type_string() }}) as business_day_id,
    sequence,
    event_type,
    {{ lana.json_date('event', 'closed_date') }} as closed_date,
    {{ lana.json_int('event', 'facilities_processed') }} as facilities_processed,
    {{ lana.event_metadata_columns() }}
from source
