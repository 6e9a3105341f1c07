-- Every ledger account with its account set and the top-level set (assets, liabilities, ...).
select
    a.account_id,
    a.account_code,
    a.account_name,
    a.category,
    a.normal_side,
    a.currency,
    a.external_id,
    s.account_set_id,
    s.account_set_code,
    s.account_set_name,
    coalesce(p.account_set_code, s.account_set_code) as top_set_code,
    coalesce(p.account_set_name, s.account_set_name) as top_set_name
from {{ ref('stg_ledger_accounts') }} a
join {{ ref('stg_ledger_account_sets') }} s on s.account_set_id = a.account_set_id
left join {{ ref('stg_ledger_account_sets') }} p on p.account_set_id = s.parent_account_set_id
