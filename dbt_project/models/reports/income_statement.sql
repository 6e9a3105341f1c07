-- Grain: one row per period (month to date, year to date, and the one chosen with `period_start`
-- if any) and income-statement line (account set) up to the report date, in USD cents (expenses
-- positive), then the subtotals: total revenue, total expenses, net income.
-- `prior_amount_cents` is the same period a year earlier (the comparative).
with periods as (
    select * from {{ ref('int_report_periods') }}
),

-- Each revenue and expense entry, signed so that both show as positive amounts.
entries as (
    select
        account_set_code,
        effective_date,
        case category when 'revenue' then credit_amount - debit_amount
                      else debit_amount - credit_amount end as amount
    from {{ ref('fct_ledger_entries') }}
    where category in ('revenue', 'expense')
),

movements as (
    select
        p.period,
        e.account_set_code as line_code,
        sum(case when e.effective_date between p.period_start and p.as_of_date then e.amount else 0 end)
            as amount,
        sum(case when e.effective_date between p.prior_start and p.prior_end then e.amount else 0 end)
            as prior_amount
    from entries e
    cross join periods p
    group by p.period, e.account_set_code
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
