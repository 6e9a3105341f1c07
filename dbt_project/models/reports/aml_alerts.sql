-- Grain: one row per alert, up to the report date, over every deposit and every withdrawal asked
-- for (int_aml_screened_movements). `large_transaction`: one movement at or above the threshold.
-- `possible_structuring`: one alert per series of deposits just under the threshold by the same
-- customer, each at most `structuring_window_hours` after the one before (exactly 24 hours apart is
-- within; a second more is not), when the series has at least `structuring_min_count` deposits:
-- the alert is on the series' first deposit and lists them all (a series is reported once,
-- however long it grows). `daily_aggregate`: a customer's deposits of one business date that no
-- structuring alert cites add up to the threshold or more while none alone reaches it (one case
-- per behaviour: a day of structuring is that case alone); the alert is on the first of them and
-- lists them all. Thresholds: the aml_settings seed.
with settings as (
    select * from {{ ref('aml_settings') }}
),

movements as (
    select m.*, a.customer_id
    from {{ ref('int_aml_screened_movements') }} m
    join {{ ref('int_deposit_accounts') }} a on a.deposit_account_id = m.deposit_account_id
    cross join {{ ref('int_report_date') }} r
    where m.business_date <= r.as_of_date
),

large as (
    select 'large_transaction' as alert_type, m.movement_id, m.movement_type, m.customer_id,
           m.deposit_account_id, m.amount as amount_cents, m.recorded_at, 1 as related_movements,
           m.amount as related_amount_cents, m.movement_id as related_movement_ids
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

-- A deposit more than a window after the customer's previous near-threshold deposit starts a series.
numbered as (
    select
        n.*,
        sum(case
            when n.previous_at is null
                or n.recorded_at > {{ lana.add_hours('n.previous_at', 's.structuring_window_hours') }}
                then 1
            else 0
        end) over (
            partition by n.customer_id order by n.recorded_at, n.movement_id rows unbounded preceding
        ) as series_number
    from (
        select
            near.*,
            lag(near.recorded_at) over (
                partition by near.customer_id order by near.recorded_at, near.movement_id
            ) as previous_at,
            row_number() over (
                partition by near.customer_id order by near.recorded_at, near.movement_id
            ) as position
        from near
    ) n
    cross join settings s
),

series as (
    select
        customer_id,
        series_number,
        min(position) as first_position,
        count(*) as related_movements,
        sum(amount) as related_amount,
        {{ dbt.listagg('movement_id', "','", "order by recorded_at, movement_id") }} as related_movement_ids
    from numbered
    group by customer_id, series_number
),

structuring as (
    select 'possible_structuring' as alert_type, f.movement_id, 'deposit' as movement_type, f.customer_id,
           f.deposit_account_id, f.amount as amount_cents, f.recorded_at, x.related_movements,
           x.related_amount as related_amount_cents, x.related_movement_ids
    from series x
    inner join numbered f on f.customer_id = x.customer_id and f.position = x.first_position
    cross join settings s
    where x.related_movements >= s.structuring_min_count
),

-- The deposits a structuring alert cites are that case's: the daily aggregate reads the others.
uncited_deposits as (
    select m.*
    from movements m
    where m.movement_type = 'deposit'
      and not exists (
          select 1
          from numbered n
          inner join series x on x.customer_id = n.customer_id and x.series_number = n.series_number
          cross join settings s
          where n.movement_id = m.movement_id and x.related_movements >= s.structuring_min_count
      )
),

customer_days as (
    select
        m.customer_id,
        m.business_date,
        count(*) as related_movements,
        sum(m.amount) as related_amount,
        max(m.amount) as largest,
        min(m.recorded_at) as first_at,
        {{ dbt.listagg('m.movement_id', "','", "order by m.recorded_at, m.movement_id") }} as related_movement_ids
    from uncited_deposits m
    group by m.customer_id, m.business_date
),

daily_aggregate as (
    select 'daily_aggregate' as alert_type, f.movement_id, 'deposit' as movement_type, f.customer_id,
           f.deposit_account_id, f.amount as amount_cents, f.recorded_at, d.related_movements,
           d.related_amount as related_amount_cents, d.related_movement_ids
    from customer_days d
    cross join settings s
    inner join (
        select
            m.*,
            row_number() over (
                partition by m.customer_id, m.business_date order by m.recorded_at, m.movement_id
            ) as position
        from uncited_deposits m
    ) f on f.customer_id = d.customer_id and f.business_date = d.business_date and f.position = 1
    where d.related_amount >= s.large_transaction_threshold_cents
      and d.largest < s.large_transaction_threshold_cents
)

select r.as_of_date, a.*
from (select * from large union all select * from structuring union all select * from daily_aggregate) a
cross join {{ ref('int_report_date') }} r
