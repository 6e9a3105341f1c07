{# USD cents that `sats` satoshis are worth at `price_cents` per BTC, rounded down to the cent. #}
{% macro btc_value_cents(sats, price_cents) -%}
  cast(floor(cast({{ sats }} as {{ dbt.type_numeric() }}) * {{ price_cents }} / 100000000)
      as {{ dbt.type_bigint() }})
{%- endmacro %}
