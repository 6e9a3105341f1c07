-- Dagster lists this test as a check of loan_statements (it reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'loan_statements'}}}) }}
-- Each facility's statement ends at its ledger balances on the report date: principal and
-- interest receivable (rows returned are failures).
with last_lines as (
    select s.facility_id, s.principal_balance_cents, s.interest_balance_cents,
           row_number() over (partition by s.facility_id order by s.line_number desc) as recency
    from {{ ref('loan_statements') }} s
    inner join {{ ref('int_report_date') }} r on r.as_of_date = s.as_of_date
)

select l.facility_id, l.principal_balance_cents, f.ledger_principal,
       l.interest_balance_cents, f.accrued_interest
from last_lines l
inner join {{ ref('int_credit_facilities') }} f on f.facility_id = l.facility_id
where l.recency = 1
  and (l.principal_balance_cents <> f.ledger_principal or l.interest_balance_cents <> f.accrued_interest)
