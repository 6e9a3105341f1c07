{# One row per day from `start_date` to `end_date` (inclusive), column `day`. #}
{% macro date_spine(start_date, end_date) -%}
  {{ return(adapter.dispatch('date_spine', 'lana')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__date_spine(start_date, end_date) -%}
  select cast(d as date) as day
  from generate_series(cast({{ start_date }} as date), cast({{ end_date }} as date), interval '1 day') as d
{%- endmacro %}

{% macro bigquery__date_spine(start_date, end_date) -%}
  select day
  from unnest(generate_date_array(cast({{ start_date }} as date), cast({{ end_date }} as date))) as day
{%- endmacro %}


{# Joined to each row of the query: one row per day from `start_date` to `end_date` (inclusive,
   expressions over the row), as `alias`.day. #}
{% macro each_day_from(start_date, end_date, alias) -%}
  {{ return(adapter.dispatch('each_day_from', 'lana')(start_date, end_date, alias)) }}
{%- endmacro %}

{% macro default__each_day_from(start_date, end_date, alias) -%}
  cross join lateral (
    select cast(g as date) as day
    from generate_series(cast({{ start_date }} as date), cast({{ end_date }} as date), interval '1 day') as g
  ) as {{ alias }}
{%- endmacro %}

{% macro bigquery__each_day_from(start_date, end_date, alias) -%}
  cross join unnest(array(
    select as struct g as day
    from unnest(generate_date_array(cast({{ start_date }} as date), cast({{ end_date }} as date))) as g
  )) as {{ alias }}
{%- endmacro %}


{# Whole days from `earlier` to `later` (both dates). #}
{% macro days_between(earlier, later) -%}
  {{ dbt.datediff(earlier, later, 'day') }}
{%- endmacro %}


{# The business date of a timestamp (UTC). #}
{% macro business_date(ts) -%}
  {{ return(adapter.dispatch('business_date', 'lana')(ts)) }}
{%- endmacro %}

{% macro default__business_date(ts) -%}
  cast(({{ ts }} at time zone 'UTC') as date)
{%- endmacro %}

{% macro bigquery__business_date(ts) -%}
  date({{ ts }}, 'UTC')
{%- endmacro %}


{# A timestamp `hours` later (timestamps stay timestamps on both warehouses). #}
{% macro add_hours(ts, hours) -%}
  {{ return(adapter.dispatch('add_hours', 'lana')(ts, hours)) }}
{%- endmacro %}

{% macro default__add_hours(ts, hours) -%}
  ({{ ts }} + ({{ hours }}) * interval '1 hour')
{%- endmacro %}

{% macro bigquery__add_hours(ts, hours) -%}
  timestamp_add({{ ts }}, interval {{ hours }} hour)
{%- endmacro %}
