-- Each account's balance after its newest posting in the raw layer (version 0, all zero, before
-- its first). The core keeps the same in ledger_current_balances, updated in place; derived here
-- from the balance history, it is as of the same watermark as every other table. A table, not a
-- view: a view on staging views is dropped (cascade) whenever dbt rebuilds one of them alone.
with newest as (
    select
        account_id,
        version,
        debit_total,
        credit_total,
        balance,
        recorded_at,
        row_number() over (partition by account_id order by version desc) as newest_first
    from {{ ref('stg_ledger_balance_history') }}
)

select
    a.account_id,
    a.currency,
    coalesce(n.version, 0) as version,
    coalesce(n.debit_total, 0) as debit_total,
    coalesce(n.credit_total, 0) as credit_total,
    coalesce(n.balance, 0) as balance,
    coalesce(n.recorded_at, a.created_at) as updated_at
from {{ ref('stg_ledger_accounts') }} a
left join newest n on n.account_id = a.account_id and n.newest_first = 1
