with source as (
    select * from {{ source('raw', 'deposit_account_events') }}
)

select
    cast(id as {{ dbt.type_string() }}) as deposit_account_id,
    sequence,
    event_type,
    {{ lana.json_text('event', 'customer_id') }} as customer_id,
    {{ lana.json_text('event', 'ledger_account_id') }} as ledger_account_id,
    {{ lana.json_text('event', 'reason') }} as reason,
    recorded_at,
    {{ lana.business_date('recorded_at') }} as business_date,
    global_position,
    tx_id
from source
