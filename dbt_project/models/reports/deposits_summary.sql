-- Grain: one row per customer segment (individual/business) and country: deposit accounts and
-- their balances in USD cents, from the ledger, as of the report date.
select
    r.as_of_date,
    c.customer_type,
    c.country,
    count(distinct a.deposit_account_id) as accounts,
    count(distinct c.customer_id) as customers,
    cast(coalesce(sum(b.balance), 0) as {{ dbt.type_bigint() }}) as balance_cents
from {{ ref('int_deposit_accounts') }} a
join {{ ref('int_customers') }} c on c.customer_id = a.customer_id
left join {{ ref('int_ledger_balances') }} b on b.external_id = a.deposit_account_id and b.account_set_code = '2100'
cross join {{ ref('int_report_date') }} r
group by r.as_of_date, c.customer_type, c.country
