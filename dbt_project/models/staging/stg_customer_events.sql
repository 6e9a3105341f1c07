with source as (
    select * from {{ source('raw', 'customer_events') }}
),

pseudonymisation_key as (
    select inner_pad, outer_pad from {{ source('lana_private', 'pseudonymisation_key') }}
)

select
    cast(source.id as {{ dbt.type_string() }}) as customer_id,
    source.sequence,
    source.event_type,
    -- Personal data leaves the raw layer only as keyed digests (macros/privacy.sql).
    {{ lana.pii_hash(lana.json_text('event', 'name')) }} as name_hash,
    {{ lana.pii_hash(lana.json_text('event', 'email')) }} as email_hash,
    {{ lana.pii_hash(lana.json_text('event', 'phone')) }} as phone_hash,
    {{ lana.pii_hash(lana.json_text('event', 'tax_id')) }} as tax_id_hash,
    {{ lana.json_text('event', 'country') }} as country,
    {{ lana.json_text('event', 'customer_type') }} as customer_type,
    {{ lana.json_text('event', 'reason') }} as reason,
    {{ lana.event_metadata_columns() }}
from source
cross join pseudonymisation_key
