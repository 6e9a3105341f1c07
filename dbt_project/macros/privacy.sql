{# Personal data never reaches marts or reports in clear: a keyed digest joins, a mask reads.
   A missing value stays missing (NULL) on every warehouse: PostgreSQL's concat() skips NULLs where
   BigQuery's returns NULL, so the NULL case is spelled out rather than left to concat(). #}

{% macro pii_hash(column) -%}
  case when {{ column }} is null then null
       else {{ dbt.hash("concat('" ~ var('pii_salt', 'lana') ~ ":', " ~ column ~ ")") }} end
{%- endmacro %}

{# a***@example.com #}
{% macro mask_email(column) -%}
  case when {{ column }} is null then null
       else concat(substr({{ column }}, 1, 1), '***@', {{ dbt.split_part(column, "'@'", 2) }}) end
{%- endmacro %}
