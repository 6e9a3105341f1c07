with source as (
    select * from {{ source('raw', 'btc_price_events') }}
)

select
    cast(id as {{ dbt.type_string() }}) as price_tick_id,
    sequence,
    event_type,
    {{ lana.json_bigint('event', 'price_cents') }} as price_cents,
    {{ lana.json_text('event', 'source') }} as source,
    {{ lana.event_metadata_columns() }}
from source
