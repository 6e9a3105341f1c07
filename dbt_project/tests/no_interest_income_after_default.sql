-- Dagster lists this test as a check of fct_ledger_entries (it reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'fct_ledger_entries'}}}) }}
-- A facility on non-accrual (from its first defaulted obligation) accrues no interest into income:
-- no accrual entry on its interest receivable from that business date up to the report date.
select f.facility_id, f.non_accrual_since, sum(e.debit_amount) as accrued_after
from {{ ref('int_credit_facilities') }} f
inner join {{ ref('int_chart_of_accounts') }} c
    on c.external_id = f.facility_id and c.account_set_code = '1300'
inner join {{ ref('fct_ledger_entries') }} e on e.account_id = c.account_id
cross join {{ ref('int_report_date') }} r
where f.non_accrual_since is not null
    and e.template = 'INTEREST_ACCRUAL'
    and e.effective_date >= f.non_accrual_since
    and e.effective_date <= r.as_of_date
group by f.facility_id, f.non_accrual_since
having sum(e.debit_amount) > 0
