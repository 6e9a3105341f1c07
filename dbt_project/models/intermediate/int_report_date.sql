-- The business date every report is computed as of (one row), and the income statement's period.
-- From the `as_of_date` variable, else the latest business date in the data: never the wall clock.
{% set as_of = lana.date_var('as_of_date') %}
{% set period_start = lana.date_var('period_start') %}
{#- Both are `cast('YYYY-MM-DD' as date)`: as text they order as the dates do. -#}
{% if as_of and period_start and period_start > as_of %}
  {{ exceptions.raise_compiler_error("variable period_start (" ~ var('period_start') ~ ") is after as_of_date ("
     ~ var('as_of_date') ~ "): the income statement's period would be empty") }}
{% endif %}

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
        {{ as_of or 'latest_date' }} as as_of_date
    from latest
)

select
    as_of_date,
    {{ period_start or "cast(" ~ dbt.date_trunc('year', 'as_of_date') ~ " as date)" }} as period_start
from as_of
