-- Grain: one row per snapshot date (every month end up to the report date, and the report date):
-- the customers' deposit balances (ledger account set 2100) at the end of that day and how many
-- accounts held money, in USD cents.
select
    r.as_of_date,
    b.day as snapshot_date,
    cast(sum(b.balance) as {{ dbt.type_bigint() }}) as deposits_cents,
    sum(case when b.balance > 0 then 1 else 0 end) as funded_accounts
from {{ ref('int_daily_account_balances') }} b
inner join {{ ref('int_chart_of_accounts') }} c
    on c.account_id = b.account_id and c.account_set_code = '2100'
cross join {{ ref('int_report_date') }} r
where b.day <= r.as_of_date
    and (b.day = r.as_of_date or b.day = cast({{ dbt.last_day('b.day', 'month') }} as date))
group by r.as_of_date, b.day
