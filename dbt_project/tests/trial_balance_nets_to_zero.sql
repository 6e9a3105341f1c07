-- Debits equal credits in every currency, on the report date built (each date is tested when built).
select as_of_date, currency, sum(debit_balance) as debits, sum(credit_balance) as credits
from {{ ref('trial_balance') }}
where {{ lana.tested_report_date('as_of_date') }}
group by as_of_date, currency
having sum(debit_balance) <> sum(credit_balance)
