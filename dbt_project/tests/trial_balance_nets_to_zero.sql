-- Debits equal credits in every currency.
select currency, sum(debit_balance) as debits, sum(credit_balance) as credits
from {{ ref('trial_balance') }}
group by currency
having sum(debit_balance) <> sum(credit_balance)
