-- Balance of every ledger account as of the report date, from its entries (minor units).
with entries as (
    {{ lana.events_as_of(ref('stg_ledger_entries'), 'effective_date') }}
),

totals as (
    select
        account_id,
        sum(debit_amount) as debit_total,
        sum(credit_amount) as credit_total
    from entries
    group by account_id
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
