-- Grain: one row per movement of a facility's loan from the start of the report date's year to
-- the report date: each ledger transaction on its loans receivable (1200), interest receivable
-- (1300) or collateral (9100) account (disbursal and its fee, payment, interest posted,
-- liquidation, write-off), a month's daily interest accruals as one line, and each recovery; with
-- the balances after it (from the facility's first movement, so a year's first line carries what
-- was owed before).
with report as (
    select as_of_date, cast({{ dbt.date_trunc('year', 'as_of_date') }} as date) as year_start
    from {{ ref('int_report_date') }}
),

facility_accounts as (
    select account_id, external_id as facility_id, account_set_code
    from {{ ref('int_chart_of_accounts') }}
    where account_set_code in ('1200', '1300', '9100')
),

-- Every entry on a facility's own accounts (signed on the debit side).
own_entries as (
    select
        a.facility_id,
        a.account_set_code,
        e.transaction_id,
        e.effective_date,
        e.tx_id,
        e.template,
        e.description,
        e.debit_amount - e.credit_amount as change
    from {{ ref('fct_ledger_entries') }} e
    inner join facility_accounts a on a.account_id = e.account_id
    cross join report r
    where e.effective_date <= r.as_of_date
),

-- The disbursal fee (the DISBURSAL transaction's credit to fee income) and recoveries (booked to
-- income: the loan is off the books), each against its facility.
other_entries as (
    select d.facility_id, 'fee' as account_set_code, e.transaction_id, e.effective_date, e.tx_id,
           e.template, e.description, e.credit_amount as change
    from {{ ref('fct_ledger_entries') }} e
    inner join (select distinct transaction_id, facility_id from own_entries where template = 'DISBURSAL') d
        on d.transaction_id = e.transaction_id
    where e.account_set_code = '4200'
    union all
    select cast(e.correlation_id as {{ dbt.type_string() }}) as facility_id, 'recovery' as account_set_code,
           e.transaction_id, e.effective_date, e.tx_id, e.template, e.description, e.credit_amount as change
    from {{ ref('fct_ledger_entries') }} e
    cross join report r
    where e.template = 'RECOVERY' and e.category = 'revenue' and e.effective_date <= r.as_of_date
),

-- One line per transaction, and one per facility and month for the daily accruals.
movements as (
    select
        facility_id,
        case when template = 'INTEREST_ACCRUAL' then null else transaction_id end as transaction_id,
        max(effective_date) as effective_date,
        max(tx_id) as tx_id,  -- the order the core wrote them in
        template as movement,
        case when template = 'INTEREST_ACCRUAL' then 'Interest accrued in the month'
             else max(description) end as description,
        sum(case when account_set_code = '1200' then change else 0 end) as principal_change,
        sum(case when account_set_code = '1300' then change else 0 end) as interest_change,
        sum(case when account_set_code = '9100' then change else 0 end) as collateral_change_sats,
        sum(case when account_set_code = 'fee' then change else 0 end) as fee,
        sum(case when account_set_code = 'recovery' then change else 0 end) as recovery
    from (select * from own_entries union all select * from other_entries) m
    group by
        facility_id,
        template,
        case when template = 'INTEREST_ACCRUAL' then null else transaction_id end,
        case when template = 'INTEREST_ACCRUAL' then {{ dbt.date_trunc('month', 'effective_date') }} end
),

running as (
    select
        m.*,
        row_number() over (
            partition by m.facility_id order by m.effective_date, m.tx_id, m.transaction_id
        ) as line_number,
        sum(m.principal_change) over (
            partition by m.facility_id order by m.effective_date, m.tx_id, m.transaction_id
            rows unbounded preceding
        ) as principal_balance,
        sum(m.interest_change) over (
            partition by m.facility_id order by m.effective_date, m.tx_id, m.transaction_id
            rows unbounded preceding
        ) as interest_balance,
        sum(m.collateral_change_sats) over (
            partition by m.facility_id order by m.effective_date, m.tx_id, m.transaction_id
            rows unbounded preceding
        ) as collateral_balance_sats
    from movements m
)

select
    r.as_of_date,
    m.facility_id,
    m.line_number,
    m.effective_date,
    m.movement,
    m.description,
    m.transaction_id,
    cast(m.principal_change as {{ dbt.type_bigint() }}) as principal_change_cents,
    cast(m.interest_change as {{ dbt.type_bigint() }}) as interest_change_cents,
    cast(m.fee as {{ dbt.type_bigint() }}) as fee_cents,
    cast(m.recovery as {{ dbt.type_bigint() }}) as recovery_cents,
    cast(m.principal_balance as {{ dbt.type_bigint() }}) as principal_balance_cents,
    cast(m.interest_balance as {{ dbt.type_bigint() }}) as interest_balance_cents,
    cast(m.collateral_change_sats as {{ dbt.type_bigint() }}) as collateral_change_sats,
    cast(m.collateral_balance_sats as {{ dbt.type_bigint() }}) as collateral_balance_sats
from running m
cross join report r
where m.effective_date >= r.year_start
