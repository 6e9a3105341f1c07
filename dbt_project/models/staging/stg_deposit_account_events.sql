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
    {{ lana.event_metadata_columns() }}
from source
