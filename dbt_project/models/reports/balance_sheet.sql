-- Grain: one row per balance-sheet line (account set) as of the report date, in USD cents, with
-- earnings split as a year-end close would: retained earnings (net income of the years before the
-- report date's) and current-year earnings; then each section's total and the total of
-- liabilities and equity. `prior_amount_cents` is the comparative: the same line at the end of
-- the previous year. Total assets = total liabilities and equity (tests/balance_sheet_balances.sql).
with report as (
    -- The report date and the two year-ends before it: the previous one (the comparative, and
    -- where current-year earnings start) and the one before that (the same for the comparative).
    select
        as_of_date,
        cast({{ dbt.dateadd('day', -1, dbt.date_trunc('year', 'as_of_date')) }} as date) as prior_end,
        cast({{ dbt.dateadd('day', -1, dbt.date_trunc('year', dbt.dateadd('year', -1, 'as_of_date'))) }} as date)
            as earlier_end
    from {{ ref('int_report_date') }}
),

-- Each USD account's totals at the close of those three days, from the daily balances (a few rows
-- per account, not the whole ledger); an account without a row on a day had no entry by then.
-- Signed as its section shows it: assets debit - credit (so the allowance, a contra asset, reduces
-- them), the others credit - debit (revenue adds to earnings, expenses take from them).
closing as (
    select
        b.day,
        c.account_set_code,
        c.category,
        case c.category when 'asset' then b.debit_total - b.credit_total
                        else b.credit_total - b.debit_total end as amount
    from {{ ref('int_daily_account_balances') }} b
    inner join {{ ref('int_chart_of_accounts') }} c on c.account_id = b.account_id
    cross join report r
    where b.currency = 'USD'
        and b.day in (r.as_of_date, r.prior_end, r.earlier_end)
),

balance_sets as (
    select distinct top_set_code, top_set_name, account_set_code, account_set_name
    from {{ ref('int_chart_of_accounts') }}
    where category in ('asset', 'liability', 'equity') and currency = 'USD'
),

lines as (
    select
        s.top_set_code as section_code,
        s.top_set_name as section,
        s.account_set_code as line_code,
        s.account_set_name as line,
        coalesce(sum(case when b.day = r.as_of_date then b.amount else 0 end), 0) as amount,
        coalesce(sum(case when b.day = r.prior_end then b.amount else 0 end), 0) as prior_amount
    from balance_sets s
    cross join report r
    left join closing b on b.account_set_code = s.account_set_code
    group by s.top_set_code, s.top_set_name, s.account_set_code, s.account_set_name
),

-- Net income to date at each of the three closes: before the report date's year is retained; at
-- the previous year-end, the years before it are retained and that year's is its current-year
-- earnings.
income_to_date as (
    select
        coalesce(sum(case when b.day = r.as_of_date then b.amount else 0 end), 0) as at_report_date,
        coalesce(sum(case when b.day = r.prior_end then b.amount else 0 end), 0) as at_prior_end,
        coalesce(sum(case when b.day = r.earlier_end then b.amount else 0 end), 0) as at_earlier_end
    from report r
    left join closing b on b.category in ('revenue', 'expense')
),

earnings as (
    select
        at_prior_end as retained,
        at_report_date - at_prior_end as current_year,
        at_earlier_end as prior_retained,
        at_prior_end - at_earlier_end as prior_current_year
    from income_to_date
),

all_lines as (
    select section_code, section, line_code, line, amount, prior_amount from lines
    union all
    select '3000' as section_code, 'Equity' as section, '3800' as line_code,
           'Retained earnings (net income of prior years)' as line,
           retained as amount, prior_retained as prior_amount
    from earnings
    union all
    select '3000' as section_code, 'Equity' as section, '3900' as line_code,
           'Current-year earnings (income - expenses)' as line,
           current_year as amount, prior_current_year as prior_amount
    from earnings
),

totals as (
    select section_code, section,
           cast(cast(section_code as {{ dbt.type_int() }}) + 999 as {{ dbt.type_string() }}) as line_code,
           concat('Total ', lower(section)) as line,
           sum(amount) as amount,
           sum(prior_amount) as prior_amount
    from all_lines
    group by section_code, section
    union all
    select '9000' as section_code, 'Total' as section, '9999' as line_code,
           'Total liabilities and equity' as line, sum(amount) as amount, sum(prior_amount) as prior_amount
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
    cast(l.amount as {{ dbt.type_bigint() }}) as amount_cents,
    cast(l.prior_amount as {{ dbt.type_bigint() }}) as prior_amount_cents,
    r.prior_end as prior_date
from (
    select section_code, section, line_code, line, 'line' as line_type, amount, prior_amount from all_lines
    union all
    select section_code, section, line_code, line, 'total' as line_type, amount, prior_amount from totals
) l
cross join report r
