-- Grain: one row per balance-sheet line (account set) plus the period's unclosed earnings, in USD
-- cents, as of the report date. Assets = Liabilities + Equity (earnings included).
with lines as (
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

earnings as (
    select
        '3000' as section_code,
        'Equity' as section,
        '3900' as line_code,
        'Earnings not yet closed (income - expenses)' as line,
        sum(case category when 'revenue' then balance else -balance end) as amount
    from {{ ref('int_ledger_balances') }}
    where category in ('revenue', 'expense') and currency = 'USD'
)

select
    r.as_of_date,
    l.section_code,
    l.section,
    l.line_code,
    l.line,
    cast(l.amount as {{ dbt.type_bigint() }}) as amount_cents
from (select * from lines union all select * from earnings) l
cross join {{ ref('int_report_date') }} r
