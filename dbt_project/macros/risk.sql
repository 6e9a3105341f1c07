{# Generated from core_app/domain/provisioning.py by `python -m core_app.contract`.
   Do not edit. The NCB-022 risk category of an exposure whose worst unpaid
   obligation is `days_past_due` days late. #}
{% macro risk_category(days_past_due) -%}
  case
      when {{ days_past_due }} <= 7 then 'A1'
      when {{ days_past_due }} <= 30 then 'A2'
      when {{ days_past_due }} <= 60 then 'B'
      when {{ days_past_due }} <= 90 then 'C1'
      when {{ days_past_due }} <= 120 then 'C2'
      when {{ days_past_due }} <= 150 then 'D1'
      when {{ days_past_due }} <= 180 then 'D2'
      else 'E'
  end
{%- endmacro %}

{# The share of the collateral's value the reserve does not count on. #}
{% macro collateral_haircut_bps() -%}
  3000
{%- endmacro %}
