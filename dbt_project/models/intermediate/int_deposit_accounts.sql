-- Deposit accounts as of the report date, with their owner and ledger account.
with events as (
    select e.*
    from {{ ref('stg_deposit_account_events') }} e
    cross join {{ ref('int_report_date') }} r
    where e.business_date <= r.as_of_date
),

latest_status as (
    select deposit_account_id, event_type,
           row_number() over (partition by deposit_account_id order by sequence desc) as recency
    from events
    where event_type in ('frozen', 'unfrozen')
)

select
    o.deposit_account_id,
    o.customer_id,
    o.ledger_account_id,
    o.business_date as opened_on,
    case when s.event_type = 'frozen' then 'frozen' else 'active' end as status
from events o
left join latest_status s on s.deposit_account_id = o.deposit_account_id and s.recency = 1
where o.event_type = 'initialized'
