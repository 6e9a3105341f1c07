{# Reading fields of a JSON payload, the same way on PostgreSQL (jsonb) and BigQuery (JSON). #}

{% macro json_text(column, path) -%}
  {{ return(adapter.dispatch('json_text', 'lana')(column, path)) }}
{%- endmacro %}

{% macro default__json_text(column, path) -%}
  ({{ column }} #>> '{ {{- path | replace('.', ',') -}} }')
{%- endmacro %}

{% macro bigquery__json_text(column, path) -%}
  json_value({{ column }}, '$.{{ path }}')
{%- endmacro %}


{# Typed reads: amounts are 64-bit integers, never floats. #}
{% macro json_bigint(column, path) -%}
  cast({{ lana.json_text(column, path) }} as {{ dbt.type_bigint() }})
{%- endmacro %}

{% macro json_int(column, path) -%}
  cast({{ lana.json_text(column, path) }} as {{ dbt.type_int() }})
{%- endmacro %}

{% macro json_date(column, path) -%}
  cast({{ lana.json_text(column, path) }} as date)
{%- endmacro %}

