{{ config(**lana.merged_on(['transaction_id', 'entry_index'], ['tx_id'], append_only=true)) }}
-- Grain: one row per ledger entry (all time), with its transaction and account.
select
    e.transaction_id,
    e.entry_index,
    e.effective_date,
    t.template,
    t.description,
    t.correlation_id,
    t.recorded_at,
    e.account_id,
    c.account_code,
    c.account_name,
    c.account_set_code,
    c.category,
    e.side,
    e.debit_amount,
    e.credit_amount,
    e.currency,
    e.tx_id
from {{ ref('stg_ledger_entries') }} e
join {{ ref('stg_ledger_transactions') }} t on t.transaction_id = e.transaction_id
join {{ ref('int_chart_of_accounts') }} c on c.account_id = e.account_id
{% if lana.is_incremental_build() %}
-- A table built before tx_id was a column has it empty: then every entry is merged again.
where e.tx_id >= {{ lana.built_max('tx_id') }}
{% endif %}
