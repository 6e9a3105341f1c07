{# Personal data never leaves staging in clear: a keyed digest (HMAC-SHA256) to join and count on.
   The key's pads come from the private relation orchestration/pseudonymisation.py installs, joined
   in as `key_alias`; the key is never in SQL text. A missing value stays missing (NULL). #}

{% macro pii_hash(column, key_alias='pseudonymisation_key') -%}
  case when {{ column }} is null then null
       else {{ lana.hmac_sha256_hex(column, key_alias ~ '.inner_pad', key_alias ~ '.outer_pad') }} end
{%- endmacro %}

{# HMAC(key, m) = SHA256((key XOR opad) || SHA256((key XOR ipad) || m)), as lowercase hex (RFC 2104). #}
{% macro hmac_sha256_hex(text, inner_pad, outer_pad) -%}
  {%- if target.type == 'bigquery' -%}
    to_hex(sha256(concat({{ outer_pad }}, sha256(concat({{ inner_pad }}, cast({{ text }} as bytes))))))
  {%- else -%}
    encode(sha256({{ outer_pad }} || sha256({{ inner_pad }} || convert_to({{ text }}, 'UTF8'))), 'hex')
  {%- endif -%}
{%- endmacro %}
