-- Balance of every ledger account as of the report date, from its entries (minor units).
with totals as (
    select
        e.account_id,
        sum(e.debit_amount) as debit_total,
        sum(e.credit_amount) as credit_total
    from {{ ref('stg_ledger_entries') }} e
    cross join {{ ref('int_report_date') }} r
    where e.effective_date <= r.as_of_date
    group by e.account_id
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
left join totals t on t.account_id = c.account_id
