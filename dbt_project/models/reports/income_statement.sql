-- Grain: one row per income-statement line (account set) for the period from `period_start` to the
-- report date, in USD cents; expenses positive, net income as its own line.
with movements as (
    select
        e.account_set_code as line_code,
        sum(case e.category when 'revenue' then e.credit_amount - e.debit_amount
                            else e.debit_amount - e.credit_amount end) as amount
    from {{ ref('fct_ledger_entries') }} e
    cross join {{ ref('int_report_date') }} r
    where e.category in ('revenue', 'expense')
      and e.effective_date between r.period_start and r.as_of_date
    group by e.account_set_code
),

-- Every revenue and expense line of the chart of accounts, with or without movements.
lines as (
    select c.account_set_code as line_code, c.account_set_name as line, c.category,
           coalesce(m.amount, 0) as amount
    from (
        select distinct account_set_code, account_set_name, category
        from {{ ref('int_chart_of_accounts') }}
        where category in ('revenue', 'expense')
    ) c
    left join movements m on m.line_code = c.account_set_code
)

select r.as_of_date, r.period_start, l.line_code, l.line, l.category,
       cast(l.amount as {{ dbt.type_bigint() }}) as amount_cents
from lines l cross join {{ ref('int_report_date') }} r

union all

select r.as_of_date, r.period_start, '9999' as line_code, 'Net income' as line, 'net' as category,
       cast(sum(case l.category when 'revenue' then l.amount else -l.amount end) as {{ dbt.type_bigint() }})
           as amount_cents
from lines l cross join {{ ref('int_report_date') }} r
group by r.as_of_date, r.period_start
