-- Every raw event and ledger row appears exactly once in staging (incremental models included).
select * from (
select 'customer_events' as raw_table,
       (select count(*) from {{ source('raw', 'customer_events') }}) as raw_rows,
       (select count(*) from {{ ref('stg_customer_events') }}) as staged_rows
union all
select 'deposit_account_events' as raw_table,
       (select count(*) from {{ source('raw', 'deposit_account_events') }}) as raw_rows,
       (select count(*) from {{ ref('stg_deposit_account_events') }}) as staged_rows
union all
select 'deposit_events' as raw_table,
       (select count(*) from {{ source('raw', 'deposit_events') }}) as raw_rows,
       (select count(*) from {{ ref('stg_deposit_events') }}) as staged_rows
union all
select 'withdrawal_events' as raw_table,
       (select count(*) from {{ source('raw', 'withdrawal_events') }}) as raw_rows,
       (select count(*) from {{ ref('stg_withdrawal_events') }}) as staged_rows
union all
select 'credit_facility_events' as raw_table,
       (select count(*) from {{ source('raw', 'credit_facility_events') }}) as raw_rows,
       (select count(*) from {{ ref('stg_credit_facility_events') }}) as staged_rows
union all
select 'disbursal_events' as raw_table,
       (select count(*) from {{ source('raw', 'disbursal_events') }}) as raw_rows,
       (select count(*) from {{ ref('stg_disbursal_events') }}) as staged_rows
union all
select 'obligation_events' as raw_table,
       (select count(*) from {{ source('raw', 'obligation_events') }}) as raw_rows,
       (select count(*) from {{ ref('stg_obligation_events') }}) as staged_rows
union all
select 'payment_events' as raw_table,
       (select count(*) from {{ source('raw', 'payment_events') }}) as raw_rows,
       (select count(*) from {{ ref('stg_payment_events') }}) as staged_rows
union all
select 'interest_accrual_cycle_events' as raw_table,
       (select count(*) from {{ source('raw', 'interest_accrual_cycle_events') }}) as raw_rows,
       (select count(*) from {{ ref('stg_interest_accrual_cycle_events') }}) as staged_rows
union all
select 'btc_price_events' as raw_table,
       (select count(*) from {{ source('raw', 'btc_price_events') }}) as raw_rows,
       (select count(*) from {{ ref('stg_btc_price_events') }}) as staged_rows
union all
select 'ledger_transactions',
       (select count(*) from {{ source('raw', 'ledger_transactions') }}),
       (select count(*) from {{ ref('stg_ledger_transactions') }})
union all
select 'ledger_entries',
       (select count(*) from {{ source('raw', 'ledger_entries') }}),
       (select count(*) from {{ ref('stg_ledger_entries') }})
union all
select 'ledger_balance_history',
       (select count(*) from {{ source('raw', 'ledger_balance_history') }}),
       (select count(*) from {{ ref('stg_ledger_balance_history') }})
) counts
where raw_rows <> staged_rows
