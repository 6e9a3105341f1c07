-- Closing balance of every account on every day from its first entry to the report date.
with dates as (
    {{ lana.date_spine(
        "(select min(effective_date) from " ~ ref('stg_ledger_entries') ~ ")",
        "(select as_of_date from " ~ ref('int_report_date') ~ ")"
    ) }}
),

daily as (
    select account_id, effective_date as day, sum(debit_amount) as debits, sum(credit_amount) as credits
    from {{ ref('stg_ledger_entries') }}
    group by account_id, effective_date
),

grid as (
    select c.account_id, c.normal_side, c.currency, d.day
    from {{ ref('int_chart_of_accounts') }} c
    cross join dates d
),

running as (
    select
        g.account_id,
        g.currency,
        g.normal_side,
        g.day,
        sum(coalesce(x.debits, 0)) over (partition by g.account_id order by g.day rows unbounded preceding)
            as debit_total,
        sum(coalesce(x.credits, 0)) over (partition by g.account_id order by g.day rows unbounded preceding)
            as credit_total
    from grid g
    left join daily x on x.account_id = g.account_id and x.day = g.day
)

select
    account_id,
    currency,
    day,
    cast(debit_total as {{ dbt.type_bigint() }}) as debit_total,
    cast(credit_total as {{ dbt.type_bigint() }}) as credit_total,
    cast(case normal_side when 'debit' then debit_total - credit_total else credit_total - debit_total end
        as {{ dbt.type_bigint() }}) as balance
from running
where debit_total <> 0 or credit_total <> 0
