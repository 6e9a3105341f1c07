-- Balance of every ledger account as of the report date (minor units): its row of that day in the
-- daily balances (a look-up of one day, not a sum over every entry); zeros for an account with no
-- entry by then.
with closing as (
    select b.account_id, b.debit_total, b.credit_total
    from {{ ref('int_daily_account_balances') }} b
    cross join {{ ref('int_report_date') }} r
    where b.day = r.as_of_date
)

select
    c.*,
    cast(coalesce(t.debit_total, 0) as {{ dbt.type_bigint() }}) as debit_total,
    cast(coalesce(t.credit_total, 0) as {{ dbt.type_bigint() }}) as credit_total,
    cast(case c.normal_side
        when 'debit' then coalesce(t.debit_total, 0) - coalesce(t.credit_total, 0)
        else coalesce(t.credit_total, 0) - coalesce(t.debit_total, 0)
    end as {{ dbt.type_bigint() }}) as balance
from {{ ref('int_chart_of_accounts') }} c
left join closing t on t.account_id = c.account_id
