-- The BTC/USD price in force on the report date: the last tick recorded on or before it.
with ticks as (
    select p.price_cents, p.recorded_at, p.business_date,
           row_number() over (order by p.recorded_at desc, p.global_position desc) as recency
    from {{ ref('stg_btc_price_events') }} p
    cross join {{ ref('int_report_date') }} r
    where p.business_date <= r.as_of_date
)

select price_cents, recorded_at as priced_at, business_date as priced_on
from ticks
where recency = 1
