-- Grain: one row per balance-sheet line (account set) as of the report date, in USD cents, with
-- earnings split as a year-end close would: retained earnings (net income of the years before the
-- report date's) and current-year earnings; then each section's total and the total of
-- liabilities and equity. Total assets = total liabilities and equity (tests/balance_sheet_balances.sql).
with report as (
    select as_of_date, cast({{ dbt.date_trunc('year', 'as_of_date') }} as date) as year_start
    from {{ ref('int_report_date') }}
),

lines as (
    select
        top_set_code as section_code,
        top_set_name as section,
        account_set_code as line_code,
        account_set_name as line,
        -- Contra accounts (the allowance) reduce their section.
        sum(case when normal_side = case category when 'asset' then 'debit' else 'credit' end
                 then balance else -balance end) as amount
    from {{ ref('int_ledger_balances') }}
    where category in ('asset', 'liability', 'equity') and currency = 'USD'
    group by top_set_code, top_set_name, account_set_code, account_set_name
),

-- Revenue less expenses, by whether the entry falls before the report date's year.
earnings as (
    select
        sum(case when e.effective_date < r.year_start then e.amount else 0 end) as retained,
        sum(case when e.effective_date >= r.year_start then e.amount else 0 end) as current_year
    from (
        -- credit - debit: revenue adds to earnings, expenses take from them
        select effective_date, credit_amount - debit_amount as amount
        from {{ ref('fct_ledger_entries') }}
        where category in ('revenue', 'expense') and currency = 'USD'
    ) e
    cross join report r
    where e.effective_date <= r.as_of_date
),

all_lines as (
    select section_code, section, line_code, line, amount from lines
    union all
    select '3000' as section_code, 'Equity' as section, '3800' as line_code,
           'Retained earnings (net income of prior years)' as line, coalesce(retained, 0) as amount
    from earnings
    union all
    select '3000' as section_code, 'Equity' as section, '3900' as line_code,
           'Current-year earnings (income - expenses)' as line, coalesce(current_year, 0) as amount
    from earnings
),

totals as (
    select section_code, section,
           cast(cast(section_code as {{ dbt.type_int() }}) + 999 as {{ dbt.type_string() }}) as line_code,
           concat('Total ', lower(section)) as line,
           sum(amount) as amount
    from all_lines
    group by section_code, section
    union all
    select '9000' as section_code, 'Total' as section, '9999' as line_code,
           'Total liabilities and equity' as line, sum(amount) as amount
    from all_lines
    where section_code in ('2000', '3000')
)

select
    r.as_of_date,
    l.section_code,
    l.section,
    l.line_code,
    l.line,
    l.line_type,
    cast(l.amount as {{ dbt.type_bigint() }}) as amount_cents
from (
    select section_code, section, line_code, line, 'line' as line_type, amount from all_lines
    union all
    select section_code, section, line_code, line, 'total' as line_type, amount from totals
) l
cross join report r
