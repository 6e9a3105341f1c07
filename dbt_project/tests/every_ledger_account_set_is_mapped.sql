-- Dagster lists this test as a check of int_chart_of_accounts (it reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'int_chart_of_accounts'}}}) }}
-- Every USD ledger account set that holds accounts has a regulatory account code
-- (regulatory_account_map): a new account set fails the build until it is mapped, so the
-- supervisor's account balances always add up to the trial balance.
select distinct c.account_set_code, c.account_set_name
from {{ ref('int_chart_of_accounts') }} c
left join {{ ref('regulatory_account_map') }} m on m.account_set_code = c.account_set_code
where c.currency = 'USD' and m.account_set_code is null
