-- The business date every report is computed as of (one row), and the income statement's period.
-- From the `as_of_date` variable, else the latest business date in the data: never the wall clock.
{% set as_of = var('as_of_date') %}
{% set period_start = var('period_start') %}

with latest as (
    select max(d) as latest_date
    from (
        select max(effective_date) as d from {{ ref('stg_ledger_transactions') }}
        union all
        select max(business_date) as d from {{ ref('stg_btc_price_events') }}
    ) dates
),

as_of as (
    select
        {% if as_of %}cast('{{ as_of }}' as date){% else %}latest_date{% endif %} as as_of_date
    from latest
)

select
    as_of_date,
    {% if period_start %}cast('{{ period_start }}' as date){% else %}cast({{ dbt.date_trunc('year', 'as_of_date') }} as date){% endif %}
        as period_start
from as_of
