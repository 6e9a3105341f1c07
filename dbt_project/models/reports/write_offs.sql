-- Grain: one row per facility written off on or before the report date: the write-off register.
-- What left the books (principal and interest receivable, against the allowance), why, and what
-- has been recovered since (income, never a repayment).
select
    r.as_of_date,
    w.facility_id,
    f.customer_id,
    w.written_off_on,
    w.write_off_reason,
    w.principal_written_off as principal_cents,
    w.interest_written_off as interest_cents,
    w.principal_written_off + w.interest_written_off as written_off_cents,
    w.recovered as recovered_cents,
    w.principal_written_off + w.interest_written_off - w.recovered as net_loss_cents,
    w.last_recovered_on
from {{ ref('int_write_offs') }} w
inner join {{ ref('int_credit_facilities') }} f on f.facility_id = w.facility_id
cross join {{ ref('int_report_date') }} r
