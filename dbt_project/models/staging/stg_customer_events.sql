with source as (
    select * from {{ source('raw', 'customer_events') }}
)

select
    cast(id as {{ dbt.type_string() }}) as customer_id,
    sequence,
    event_type,
    -- Personal data leaves staging only as digests or a mask.
    {{ lana.pii_hash(lana.json_text('event', 'name')) }} as name_hash,
    {{ lana.pii_hash(lana.json_text('event', 'email')) }} as email_hash,
    {{ lana.mask_email(lana.json_text('event', 'email')) }} as email_masked,
    {{ lana.pii_hash(lana.json_text('event', 'phone')) }} as phone_hash,
    {{ lana.pii_hash(lana.json_text('event', 'tax_id')) }} as tax_id_hash,
    {{ lana.json_text('event', 'country') }} as country,
    {{ lana.json_text('event', 'customer_type') }} as customer_type,
    {{ lana.json_text('event', 'reason') }} as reason,
    {{ lana.event_metadata_columns() }}
from source
