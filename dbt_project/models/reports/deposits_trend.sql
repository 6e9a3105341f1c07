-- Grain: one row per snapshot date (every month end up to the report date, and the report date):
-- the customers' deposit balances (ledger account set 2100) at the end of that day and how many
-- accounts held money, in USD cents.
with report as (
    select as_of_date from {{ ref('int_report_date') }}
),

-- The snapshot dates, listed first so that only their rows of the daily balances are read.
snapshots as (
    select s.day
    from (
        {{ lana.date_spine(
            "(select min(day) from " ~ ref('int_daily_account_balances') ~ ")",
            "(select as_of_date from report)"
        ) }}
    ) s
    cross join report r
    where s.day = r.as_of_date or s.day = cast({{ dbt.last_day('s.day', 'month') }} as date)
)

select
    r.as_of_date,
    s.day as snapshot_date,
    cast(sum(b.balance) as {{ dbt.type_bigint() }}) as deposits_cents,
    sum(case when b.balance > 0 then 1 else 0 end) as funded_accounts
from snapshots s
inner join {{ ref('int_daily_account_balances') }} b on b.day = s.day
inner join {{ ref('int_chart_of_accounts') }} c
    on c.account_id = b.account_id and c.account_set_code = '2100'
cross join report r
group by r.as_of_date, s.day
