-- The BTC/USD price in force on the report date: the last tick recorded on or before it.
with events as (
    {{ lana.events_as_of(ref('stg_btc_price_events')) }}
),

ticks as (
    select price_cents, recorded_at, business_date,
           row_number() over (order by recorded_at desc, global_position desc) as recency
    from events
)

select price_cents, recorded_at as priced_at, business_date as priced_on
from ticks
where recency = 1
