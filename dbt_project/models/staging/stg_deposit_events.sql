with source as (
    select * from {{ source('raw', 'deposit_events') }}
)

select
    cast(id as {{ dbt.type_string() }}) as deposit_id,
    sequence,
    event_type,
    {{ lana.json_text('event', 'deposit_account_id') }} as deposit_account_id,
    {{ lana.json_bigint('event', 'amount') }} as amount,
    {{ lana.json_text('event', 'reference') }} as reference,
    recorded_at,
    {{ lana.business_date('recorded_at') }} as business_date,
    global_position,
    tx_id
from source
