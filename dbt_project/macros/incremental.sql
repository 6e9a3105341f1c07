{# The filter of an incremental staging model: only raw rows loaded since the last build.
   The raw layer is loaded gap-free by transaction id (see tap-lana-events), so a newly loaded row
   never has a smaller tx_id than one already built; `>=` re-reads the last transaction, and the
   model's unique key merges it away.
   `compile_offline` (for `dbt compile` without a warehouse, e.g. BigQuery from CI) skips the one
   question that needs a connection: does the table exist yet. #}
{% macro new_rows_only(column='tx_id') -%}
  {%- if not var('compile_offline', false) and is_incremental() -%}
    where {{ column }} >= (select max({{ column }}) from {{ this }})
  {%- endif -%}
{%- endmacro %}
