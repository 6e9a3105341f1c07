-- Each customer as of the report date: identity (digests only), segment and KYC status.
with events as (
    {{ lana.events_as_of(ref('stg_customer_events')) }}
),

onboarded as (
    select customer_id, name_hash, email_hash, phone_hash, tax_id_hash, country, customer_type,
           business_date as onboarded_on
    from events
    where event_type = 'initialized'
),

kyc as (
    select customer_id, event_type, business_date,
           row_number() over (partition by customer_id order by sequence desc) as recency
    from events
    where event_type in ('kyc_approved', 'kyc_declined')
)

select
    o.customer_id,
    o.name_hash,
    o.email_hash,
    o.phone_hash,
    o.tax_id_hash,
    o.country,
    o.customer_type,
    o.onboarded_on,
    case k.event_type when 'kyc_approved' then 'approved' when 'kyc_declined' then 'declined' else 'pending' end
        as kyc_status,
    k.business_date as kyc_decided_on
from onboarded o
left join kyc k on k.customer_id = o.customer_id and k.recency = 1
