-- Debits equal credits in every currency, on every report date.
select as_of_date, currency, sum(debit_balance) as debits, sum(credit_balance) as credits
from {{ ref('trial_balance') }}
group by as_of_date, currency
having sum(debit_balance) <> sum(credit_balance)
