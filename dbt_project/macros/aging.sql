{# Generated from core_app/domain/delinquency.py by `python -m core_app.contract`.
   Do not edit. The aging bucket of an amount `days_past_due` days late. An
   obligation the core has defaulted (`defaulted`: a SQL condition) is in the last
   bucket whatever its days. #}
{% macro aging_bucket(days_past_due, defaulted='false') -%}
  case
      when {{ defaulted }} then '90+'
      when {{ days_past_due }} <= 0 then 'current'
      when {{ days_past_due }} <= 30 then '1-30'
      when {{ days_past_due }} <= 60 then '31-60'
      when {{ days_past_due }} <= 90 then '61-90'
      else '90+'
  end
{%- endmacro %}
