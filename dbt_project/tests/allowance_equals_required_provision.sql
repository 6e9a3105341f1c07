-- Dagster lists this test as a check of loan_loss_provisions (it reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'loan_loss_provisions'}}}) }}
-- The allowance the core has booked (ledger account set 1900) equals the provision the policy
-- requires on the report date (loan_loss_provisions), to the cent: the core's end of day trues it
-- up every business date, and the warehouse classifies by the same generated policy.
select r.as_of_date, b.booked, p.required
from {{ ref('int_report_date') }} r
cross join (
    select coalesce(sum(balance), 0) as booked
    from {{ ref('int_ledger_balances') }}
    where account_set_code = '1900'
) b
cross join (
    select coalesce(sum(l.required_provision_cents), 0) as required
    from {{ ref('loan_loss_provisions') }} l
    inner join {{ ref('int_report_date') }} d on d.as_of_date = l.as_of_date
) p
where b.booked <> p.required
