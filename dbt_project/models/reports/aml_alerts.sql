-- Grain: one row per alert, up to the report date. `large_transaction`: one deposit or withdrawal
-- at or above the threshold. `possible_structuring`: a deposit just under the threshold followed,
-- within the window, by at least `structuring_min_count - 1` more such deposits by the same
-- customer (the alert is on the first one and counts the series).
with settings as (
    select * from {{ ref('aml_settings') }}
),

movements as (
    select m.*, a.customer_id
    from {{ ref('int_deposit_flows') }} m
    join {{ ref('int_deposit_accounts') }} a on a.deposit_account_id = m.deposit_account_id
    cross join {{ ref('int_report_date') }} r
    where m.business_date <= r.as_of_date
),

large as (
    select 'large_transaction' as alert_type, m.movement_id, m.movement_type, m.customer_id,
           m.deposit_account_id, m.amount as amount_cents, m.recorded_at, 1 as related_movements,
           m.amount as related_amount_cents
    from movements m cross join settings s
    where m.amount >= s.large_transaction_threshold_cents
),

near as (
    select m.*
    from movements m cross join settings s
    where m.movement_type = 'deposit'
      and m.amount < s.large_transaction_threshold_cents
      and m.amount * 10000 >= s.large_transaction_threshold_cents * s.structuring_floor_bps
),

series as (
    select first.movement_id, first.customer_id, first.deposit_account_id, first.amount, first.recorded_at,
           count(*) as related_movements, sum(later.amount) as related_amount
    from near first
    cross join settings s
    join near later
      on later.customer_id = first.customer_id
     and later.recorded_at >= first.recorded_at
     and later.recorded_at < {{ lana.add_hours('first.recorded_at', 's.structuring_window_hours') }}
    group by first.movement_id, first.customer_id, first.deposit_account_id, first.amount, first.recorded_at
),

structuring as (
    select 'possible_structuring' as alert_type, x.movement_id, 'deposit' as movement_type, x.customer_id,
           x.deposit_account_id, x.amount as amount_cents, x.recorded_at, x.related_movements,
           x.related_amount as related_amount_cents
    from series x cross join settings s
    where x.related_movements >= s.structuring_min_count
)

select r.as_of_date, a.*
from (select * from large union all select * from structuring) a
cross join {{ ref('int_report_date') }} r
