-- Deposit accounts as of the report date, with their owner and ledger account. The status is the
-- one the latest status-setting event left (the event_statuses seed, generated from the core's
-- event contract): no event type is named here.
with events as (
    {{ lana.events_as_of(ref('stg_deposit_account_events')) }}
),

latest_status as (
    select e.deposit_account_id, s.status,
           row_number() over (partition by e.deposit_account_id order by e.sequence desc) as recency
    from events e
    join {{ ref('event_statuses') }} s
      on s.aggregate = 'deposit_account' and s.event_type = e.event_type
)

select
    o.deposit_account_id,
    o.customer_id,
    o.ledger_account_id,
    o.business_date as opened_on,
    s.status
from events o
join latest_status s on s.deposit_account_id = o.deposit_account_id and s.recency = 1
where o.event_type = 'initialized'
