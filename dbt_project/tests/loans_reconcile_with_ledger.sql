-- Dagster lists this test as a check of loan_portfolio (it reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'loan_portfolio'}}}) }}
-- Each facility's principal rebuilt from its events equals its loans-receivable account, and the
-- portfolio's total on the report date being built equals the ledger's loans receivable then.
select facility_id, principal_outstanding, ledger_principal
from {{ ref('int_credit_facilities') }}
where principal_outstanding <> ledger_principal

union all

select 'portfolio total' as facility_id, p.total as principal_outstanding, l.total as ledger_principal
from (
    select coalesce(sum(p.principal_outstanding), 0) as total
    from {{ ref('loan_portfolio') }} p
    inner join {{ ref('int_report_date') }} r on r.as_of_date = p.as_of_date
) p
cross join (
    select coalesce(sum(balance), 0) as total from {{ ref('int_ledger_balances') }} where account_set_code = '1200'
) l
where p.total <> l.total
