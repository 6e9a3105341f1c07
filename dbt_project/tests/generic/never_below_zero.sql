{# No balance below zero on the accounts of `account_sets` (ledger account-set codes): the bank
   offers no overdraft, and a facility cannot hold less than no bitcoin. The core's ledger refuses
   such a posting (core_app/domain/ledger.py, NEVER_NEGATIVE_SETS, which these sets must equal:
   tests/unit/test_ledger_domain.py); this proves it of every balance that reached the warehouse. #}
{% test never_below_zero(model, column_name, account_sets) %}
select h.account_id, h.version, h.{{ column_name }}
from {{ model }} h
inner join {{ ref('stg_ledger_accounts') }} a on a.account_id = h.account_id
where h.{{ column_name }} < 0
  and ({% for code in account_sets %}a.account_code like '{{ code }}.%'{{ ' or ' if not loop.last }}{% endfor %})
{% endtest %}
