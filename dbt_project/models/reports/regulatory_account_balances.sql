-- Grain: one row per regulatory account code as of the report date: the balance of the USD ledger
-- account sets mapped to it (the regulatory_account_map seed; test every_ledger_account_set_is_mapped),
-- on its normal side, in USD cents. Delivered as XML, validated against its XSD before it leaves.
select
    r.as_of_date,
    m.regulatory_code,
    m.regulatory_name,
    b.normal_side,
    cast(sum(b.balance) as {{ dbt.type_bigint() }}) as balance_cents
from {{ ref('int_ledger_balances') }} b
inner join {{ ref('regulatory_account_map') }} m on m.account_set_code = b.account_set_code
cross join {{ ref('int_report_date') }} r
where b.currency = 'USD'
group by r.as_of_date, m.regulatory_code, m.regulatory_name, b.normal_side
