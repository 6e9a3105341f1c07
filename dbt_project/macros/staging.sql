{# The columns every staging model of an events table ends with. #}
{% macro event_metadata_columns() -%}
    recorded_at,
    {{ lana.business_date('recorded_at') }} as business_date,
    global_position,
    tx_id
{%- endmacro %}
