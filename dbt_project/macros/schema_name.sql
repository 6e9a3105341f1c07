{# Schemas named exactly as configured (staging, intermediate, marts, reports), not prefixed with
   the target schema, so analysts find `reports.trial_balance` where the docs say. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
  {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
