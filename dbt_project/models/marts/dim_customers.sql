-- Grain: one row per customer, as of the report date. No personal data in clear: digests to join
-- on (keyed HMAC-SHA256, macros/privacy.sql).
select
    customer_id,
    customer_type,
    country,
    kyc_status,
    kyc_decided_on,
    onboarded_on,
    name_hash,
    email_hash,
    phone_hash,
    tax_id_hash
from {{ ref('int_customers') }}
