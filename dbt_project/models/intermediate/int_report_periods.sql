-- The income statement's periods as of the report date, each with its comparative (the same
-- dates a year earlier): month to date and year to date, every day; and the period chosen with
-- the `period_start` variable, when one is given. A chosen start after the report date is
-- refused (before any SQL when both dates are variables; by the test period_is_not_inverted
-- when the report date comes from the data).
with periods as (
    select as_of_date, 'year_to_date' as period,
           cast({{ dbt.date_trunc('year', 'as_of_date') }} as date) as period_start
    from {{ ref('int_report_date') }}
    union all
    select as_of_date, 'month_to_date' as period,
           cast({{ dbt.date_trunc('month', 'as_of_date') }} as date) as period_start
    from {{ ref('int_report_date') }}
    {%- if var('period_start', none) %}
    union all
    select as_of_date, 'chosen' as period, period_start
    from {{ ref('int_report_date') }}
    {%- endif %}
)

select
    as_of_date,
    period,
    period_start,
    cast({{ dbt.dateadd('year', -1, 'period_start') }} as date) as prior_start,
    cast({{ dbt.dateadd('year', -1, 'as_of_date') }} as date) as prior_end
from periods
