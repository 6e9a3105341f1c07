{{ config(
    pre_hook="{{ lana.drop_days_after_report_date() }}",
    **lana.merged_on(['account_id', 'day'], ['day'])
) }}
-- Closing balance of every account on every day from its first entry to the report date: the
-- running totals at each day with entries, repeated on the days until the next.
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

report as (
    select as_of_date from {{ ref('int_report_date') }}
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
        and e.effective_date <= (select r.as_of_date from report r)
    group by e.account_id, e.effective_date
),

{% if incremental -%}
movements as (
    -- Each account's totals before the first day recomputed count as a movement on that day.
    select account_id, day, debits, credits, last_tx_id
    from daily
    union all
    select o.account_id, b.first_day, o.debit_total, o.credit_total, o.last_tx_id
    from opening o
    cross join bounds b
),

activity as (
    select account_id, day, sum(debits) as debits, sum(credits) as credits, max(last_tx_id) as last_tx_id
    from movements
    group by account_id, day
),
{%- else -%}
activity as (
    select account_id, day, debits, credits, last_tx_id
    from daily
),
{%- endif %}

running as (
    -- The totals at the end of each day with a movement, and the next such day: the totals hold
    -- on every day in between. Only days with movements are sorted, not every account's every day.
    select
        a.account_id,
        a.day,
        sum(a.debits) over w as debit_total,
        sum(a.credits) over w as credit_total,
        max(a.last_tx_id) over w as last_tx_id,
        lead(a.day) over (partition by a.account_id order by a.day) as next_day
    from activity a
    window w as (partition by a.account_id order by a.day rows unbounded preceding)
)

select
    r.account_id,
    c.currency,
    d.day,
    cast(r.debit_total as {{ dbt.type_bigint() }}) as debit_total,
    cast(r.credit_total as {{ dbt.type_bigint() }}) as credit_total,
    cast(case c.normal_side when 'debit' then r.debit_total - r.credit_total else r.credit_total - r.debit_total end
        as {{ dbt.type_bigint() }}) as balance,
    cast(r.last_tx_id as {{ dbt.type_bigint() }}) as last_tx_id
from running r
inner join {{ ref('int_chart_of_accounts') }} c on c.account_id = r.account_id
cross join report p
{{ lana.each_day_from(
    'r.day',
    'coalesce(cast(' ~ dbt.dateadd('day', -1, 'r.next_day') ~ ' as date), p.as_of_date)',
    'd'
) }}
where r.debit_total <> 0 or r.credit_total <> 0
{% if target.type == 'postgres' -%}
-- Stored day by day: every reader takes whole days (the report date, month- and year-ends, the
-- day before the first one rebuilt), which then lie on a few pages instead of one row on each of
-- hundreds of thousands (at 4.9M events the deposits trend's 12 days read 659k scattered rows: 13 s
-- with the table cached, 72 s without). Incremental builds append later days in order anyway.
order by d.day
{%- endif %}
