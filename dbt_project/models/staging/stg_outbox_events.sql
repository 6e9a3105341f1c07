select
    aggregate_type,
    cast(aggregate_id as {{ dbt.type_string() }}) as aggregate_id,
    sequence,
    event_name,
    payload,
    recorded_at,
    {{ lana.business_date('recorded_at') }} as business_date,
    global_position,
    tx_id
from {{ source('raw', 'outbox_events') }}
