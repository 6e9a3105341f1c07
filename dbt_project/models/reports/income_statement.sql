-- Grain: one row per income-statement line (account set) for the period from `period_start` to the
-- report date, in USD cents; expenses positive, net income as its own line.
with movements as (
    select
        c.account_set_code as line_code,
        c.account_set_name as line,
        c.category,
        sum(case c.category when 'revenue' then e.credit_amount - e.debit_amount
                            else e.debit_amount - e.credit_amount end) as amount
    from {{ ref('stg_ledger_entries') }} e
    join {{ ref('int_chart_of_accounts') }} c on c.account_id = e.account_id
    cross join {{ ref('int_report_date') }} r
    where c.category in ('revenue', 'expense')
      and e.effective_date between r.period_start and r.as_of_date
    group by c.account_set_code, c.account_set_name, c.category
),

lines as (
    select s.account_set_code as line_code, s.account_set_name as line, s.category,
           coalesce(m.amount, 0) as amount
    from {{ ref('stg_ledger_account_sets') }} s
    left join movements m on m.line_code = s.account_set_code
    where s.category in ('revenue', 'expense') and s.parent_account_set_id is not null
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
