{{ config(**lana.merged_on('account_id', ['last_tx_id'])) }}
-- Each account's balance after its newest posting in the raw layer (version 0, all zero, before
-- its first). The core keeps the same in ledger_current_balances, updated in place; derived here
-- from the balance history, it is as of the same watermark as every other table.
-- Incremental: a build recomputes only the accounts new to the table and those whose balance
-- history gained rows since the last build (raw rows load in transaction-id order, so those rows
-- have a tx_id at or above the largest `last_tx_id` built), each from its whole history: a
-- version committed late can be loaded after a newer one. A full refresh gives the same rows
-- (tests/integration/test_reports.py); a table built before `last_tx_id` existed is rebuilt whole.
{% set incremental = lana.is_incremental_build() and lana.relation_has_column(this, 'last_tx_id') %}
{% set built = lana.built_max('last_tx_id') if incremental else none %}

with

touched as (
    {% if incremental -%}
    select h.account_id
    from {{ ref('stg_ledger_balance_history') }} h
    where h.tx_id >= {{ built }}
    union distinct
    select a.account_id
    from {{ ref('stg_ledger_accounts') }} a
    where not exists (select 1 from {{ this }} t where t.account_id = a.account_id)
    {%- else -%}
    select account_id from {{ ref('stg_ledger_accounts') }}
    {%- endif %}
),

newest as (
    -- Per account, so that PostgreSQL reads the one newest version by the history's unique index
    -- (an account the whole bank posts to has a version per day, or per entry).
    select
        t.account_id,
        (
            select max(h.version)
            from {{ ref('stg_ledger_balance_history') }} h
            where h.account_id = t.account_id
        ) as version
    from touched t
)

select
    a.account_id,
    a.currency,
    coalesce(h.version, 0) as version,
    coalesce(h.debit_total, 0) as debit_total,
    coalesce(h.credit_total, 0) as credit_total,
    coalesce(h.balance, 0) as balance,
    coalesce(h.recorded_at, a.created_at) as updated_at,
    -- The transaction of the account's newest version (not its history's newest transaction):
    -- the largest over the table still bounds the history rows loaded after this build.
    h.tx_id as last_tx_id
from {{ ref('stg_ledger_accounts') }} a
inner join newest n on n.account_id = a.account_id
left join {{ ref('stg_ledger_balance_history') }} h on h.account_id = n.account_id and h.version = n.version
