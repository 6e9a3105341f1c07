{% set key = ['account_id', 'day'] %}
{{ config(
    materialized='incremental',
    unique_key=key,
    indexes=lana.incremental_indexes(key, ['day']),
    incremental_strategy=('merge' if target.type == 'bigquery' else 'delete+insert'),
    on_schema_change='append_new_columns',
    pre_hook="{{ lana.drop_days_after_report_date() }}"
) }}
-- Closing balance of every account on every day from its first entry to the report date.
-- Incremental: a build recomputes only the days from the earliest effective date among the
-- entries loaded since the last build (entries load in transaction-id order, so those are the
-- entries with tx_id at or above the newest one already counted), or else from the day after the
-- last day built, carrying each account's running totals forward from the day before. A full
-- refresh gives the same rows (tests/integration/test_reports.py).
{% set incremental = lana.is_incremental_build() %}

with
{% if incremental %}
built as (
    -- An account's last_tx_id never falls from one day to the next, and every account has a row
    -- on the last day built: the newest transaction counted is on that day (found by the day index).
    select max(t.day) as last_day, max(t.last_tx_id) as last_tx_id
    from {{ this }} t
    where t.day = (select max(day) from {{ this }})
),

changed as (
    -- Per transaction first, so that the database finds the new entries by their tx_id (a bare
    -- min(effective_date) walks the date index over the whole table, filtering on tx_id).
    select min(n.first_day) as first_changed
    from (
        select e.tx_id, min(e.effective_date) as first_day
        from {{ ref('stg_ledger_entries') }} e
        where e.tx_id >= coalesce((select last_tx_id from built), 0)
        group by e.tx_id
    ) n
),

bounds as (
    select
        case
            when c.first_changed is not null and (b.last_day is null or c.first_changed <= b.last_day)
                then c.first_changed
            else coalesce(cast({{ dbt.dateadd('day', 1, 'b.last_day') }} as date), c.first_changed)
        end as first_day
    from built b
    cross join changed c
),

opening as (
    -- An account has a row on every day from its first entry on: its totals the day before.
    select t.account_id, t.debit_total, t.credit_total, t.last_tx_id
    from {{ this }} t
    where t.day = (select cast({{ dbt.dateadd('day', -1, 'b.first_day') }} as date) from bounds b)
),
{% else %}
bounds as (
    select min(effective_date) as first_day
    from {{ ref('stg_ledger_entries') }}
),
{% endif %}

dates as (
    {{ lana.date_spine(
        "(select first_day from bounds)",
        "(select as_of_date from " ~ ref('int_report_date') ~ ")"
    ) }}
),

daily as (
    select
        e.account_id,
        e.effective_date as day,
        sum(e.debit_amount) as debits,
        sum(e.credit_amount) as credits,
        max(e.tx_id) as last_tx_id
    from {{ ref('stg_ledger_entries') }} e
    where e.effective_date >= (select b.first_day from bounds b)
    group by e.account_id, e.effective_date
),

grid as (
    select c.account_id, c.normal_side, c.currency, d.day
    from {{ ref('int_chart_of_accounts') }} c
    cross join dates d
),

running as (
    -- One row per account and day (`daily` has one per account and day, `opening` one per account).
    select
        g.account_id,
        g.currency,
        g.normal_side,
        g.day,
        {% if incremental -%}
        coalesce(o.debit_total, 0) as opening_debits,
        coalesce(o.credit_total, 0) as opening_credits,
        coalesce(o.last_tx_id, 0) as opening_tx_id,
        {%- else -%}
        0 as opening_debits,
        0 as opening_credits,
        0 as opening_tx_id,
        {%- endif %}
        sum(coalesce(x.debits, 0)) over w as debits_since,
        sum(coalesce(x.credits, 0)) over w as credits_since,
        max(x.last_tx_id) over w as tx_id_since
    from grid g
    left join daily x on x.account_id = g.account_id and x.day = g.day
    {% if incremental -%}
    left join opening o on o.account_id = g.account_id
    {%- endif %}
    window w as (partition by g.account_id order by g.day rows unbounded preceding)
),

totals as (
    select
        account_id,
        currency,
        normal_side,
        day,
        opening_debits + debits_since as debit_total,
        opening_credits + credits_since as credit_total,
        greatest(opening_tx_id, coalesce(tx_id_since, 0)) as last_tx_id
    from running
)

select
    account_id,
    currency,
    day,
    cast(debit_total as {{ dbt.type_bigint() }}) as debit_total,
    cast(credit_total as {{ dbt.type_bigint() }}) as credit_total,
    cast(case normal_side when 'debit' then debit_total - credit_total else credit_total - debit_total end
        as {{ dbt.type_bigint() }}) as balance,
    cast(last_tx_id as {{ dbt.type_bigint() }}) as last_tx_id
from totals
where debit_total <> 0 or credit_total <> 0
