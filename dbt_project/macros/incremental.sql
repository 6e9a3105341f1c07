{# Is this build adding to an existing table (an incremental run)?
   `compile_offline` (for `dbt compile` without a warehouse, e.g. BigQuery from CI) skips the one
   question that needs a connection, does the table exist yet: `true` compiles every model as a
   first build, `'incremental'` as an incremental one (so that both can be checked). #}
{% macro is_incremental_build() -%}
  {%- set offline = var('compile_offline', false) -%}
  {{ return(offline == 'incremental' or (not offline and is_incremental())) }}
{%- endmacro %}


{# The filter of an incremental staging model: only raw rows loaded since the last build.
   The raw layer is loaded gap-free by transaction id (see tap-lana-events), so a newly loaded row
   never has a smaller tx_id than one already built; `>=` re-reads the last transaction, and the
   model's unique key merges it away. #}
{% macro new_rows_only(column='tx_id') -%}
  {%- if lana.is_incremental_build() -%}
    where {{ column }} >= (select max({{ column }}) from {{ this }})
  {%- endif -%}
{%- endmacro %}


{# Pre-hook of a model with one row per day up to the report date: a build for an earlier date
   first removes the days after it, so the table holds what a full build for that date holds. #}
{% macro drop_days_after_report_date(column='day') -%}
  {%- if lana.is_incremental_build() -%}
    delete from {{ this }}
    where {{ column }} > {{ lana.date_var('as_of_date') or "(select as_of_date from " ~ ref('int_report_date') ~ ")" }}
  {%- endif -%}
{%- endmacro %}
