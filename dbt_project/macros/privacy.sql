{# Personal data never reaches marts or reports in clear: a keyed digest joins, a mask reads. #}

{% macro pii_hash(column) -%}
  {{ dbt.hash("concat('" ~ var('pii_salt', 'lana') ~ ":', " ~ column ~ ")") }}
{%- endmacro %}

{# a***@example.com #}
{% macro mask_email(column) -%}
  concat(substr({{ column }}, 1, 1), '***@', {{ dbt.split_part(column, "'@'", 2) }})
{%- endmacro %}
