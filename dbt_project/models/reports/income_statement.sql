-- Grain: one row per period (month to date, year to date, and the one chosen with `period_start`
-- if any) and income-statement line (account set) up to the report date, in USD cents (expenses
-- positive), then the subtotals: total revenue, total expenses, net income.
-- `prior_amount_cents` is the same period a year earlier (the comparative).
with periods as (
    select * from {{ ref('int_report_periods') }}
),

-- Each revenue and expense account's totals to date at the close of a day, from the daily
-- balances, signed so that both show as positive amounts; an account without a row on a day had no
-- entry by then.
closing as (
    select
        b.day,
        c.account_set_code,
        case c.category when 'revenue' then b.credit_total - b.debit_total
                        else b.debit_total - b.credit_total end as amount
    from {{ ref('int_daily_account_balances') }} b
    inner join {{ ref('int_chart_of_accounts') }} c on c.account_id = b.account_id
    where c.category in ('revenue', 'expense')
),

-- A period's movement is the totals at its last day less those at the day before its first: four
-- days per period (and its comparative) are read, not every entry.
bounds as (
    select
        period,
        as_of_date,
        cast({{ dbt.dateadd('day', -1, 'period_start') }} as date) as opened_after,
        prior_end,
        cast({{ dbt.dateadd('day', -1, 'prior_start') }} as date) as prior_opened_after
    from periods
),

movements as (
    select
        p.period,
        b.account_set_code as line_code,
        sum(case when b.day = p.as_of_date then b.amount
                 when b.day = p.opened_after then -b.amount else 0 end) as amount,
        sum(case when b.day = p.prior_end then b.amount
                 when b.day = p.prior_opened_after then -b.amount else 0 end) as prior_amount
    from bounds p
    inner join closing b on b.day in (p.as_of_date, p.opened_after, p.prior_end, p.prior_opened_after)
    group by p.period, b.account_set_code
),

-- Every revenue and expense line of the chart of accounts, with or without movements.
lines as (
    select p.period, c.account_set_code as line_code, c.account_set_name as line, c.category,
           coalesce(m.amount, 0) as amount, coalesce(m.prior_amount, 0) as prior_amount
    from (
        select distinct account_set_code, account_set_name, category
        from {{ ref('int_chart_of_accounts') }}
        where category in ('revenue', 'expense')
    ) c
    cross join periods p
    left join movements m on m.line_code = c.account_set_code and m.period = p.period
),

subtotals as (
    select period, '4999' as line_code, 'Total revenue' as line, 'total' as category,
           sum(case category when 'revenue' then amount else 0 end) as amount,
           sum(case category when 'revenue' then prior_amount else 0 end) as prior_amount
    from lines
    group by period
    union all
    select period, '5999' as line_code, 'Total expenses' as line, 'total' as category,
           sum(case category when 'expense' then amount else 0 end) as amount,
           sum(case category when 'expense' then prior_amount else 0 end) as prior_amount
    from lines
    group by period
    union all
    select period, '9999' as line_code, 'Net income' as line, 'net' as category,
           sum(case category when 'revenue' then amount else -amount end) as amount,
           sum(case category when 'revenue' then prior_amount else -prior_amount end) as prior_amount
    from lines
    group by period
)

select p.as_of_date, p.period, p.period_start, a.line_code, a.line, a.category,
       cast(a.amount as {{ dbt.type_bigint() }}) as amount_cents,
       cast(a.prior_amount as {{ dbt.type_bigint() }}) as prior_amount_cents,
       p.prior_start as prior_period_start,
       p.prior_end as prior_period_end
from (select * from lines union all select * from subtotals) a
inner join periods p on p.period = a.period
