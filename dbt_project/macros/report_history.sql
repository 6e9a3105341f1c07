{# A date variable as a SQL date literal, validated first: a value that is not a YYYY-MM-DD date
   is a compile error naming the variable, never text pasted into SQL. None when unset.
   From `--vars`, else from the environment variable DBT_LANA_<NAME> (DBT_LANA_AS_OF_DATE,
   DBT_LANA_PERIOD_START): the orchestrator passes the date that way, because dbt re-parses the
   whole project whenever --vars change (a new date every day), but only the files that read an
   environment variable when it changes. #}
{% macro date_var(name) -%}
  {%- set value = var(name) -%}
  {%- if value is none or value == '' -%}
    {%- set value = env_var('DBT_LANA_' ~ (name | upper), '') -%}
  {%- endif -%}
  {%- if value is none or value == '' -%}
    {{ return(none) }}
  {%- endif -%}
  {%- set text = value | string -%}
  {%- set valid = modules.re.fullmatch('([0-9]{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])', text) -%}
  {%- if valid -%}
    {#- Jinja has no try: a day past the month's end shows as a different month. -#}
    {%- set first = modules.datetime.date(valid.group(1) | int, valid.group(2) | int, 1) -%}
    {%- set day = first + modules.datetime.timedelta(days=(valid.group(3) | int) - 1) -%}
    {%- set valid = day.month == first.month -%}
  {%- endif -%}
  {%- if not valid -%}
    {{ exceptions.raise_compiler_error("variable " ~ name ~ " must be a date (YYYY-MM-DD), not " ~ (text | tojson)) }}
  {%- endif -%}
  {{ return("cast('" ~ day.isoformat() ~ "' as date)") }}
{%- endmacro %}


{# Report tables keep every business date they were built for: one row set per `as_of_date`.
   Before a report is built again for a date, that date's rows are deleted (in the same transaction
   on PostgreSQL), so a rebuild replaces exactly that date, even when it now has fewer rows or none,
   and other dates stay as delivered. #}
{% macro replace_report_date() -%}
  {%- if is_incremental() -%}
    delete from {{ this }}
    where as_of_date = {{ lana.date_var('as_of_date') or "(select as_of_date from " ~ ref('int_report_date') ~ ")" }}
  {%- endif -%}
{%- endmacro %}
