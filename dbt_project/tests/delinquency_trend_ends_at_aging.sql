-- Dagster lists this test as a check of delinquency_trend (it reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'delinquency_trend'}}}) }}
-- The trend's snapshot on the report date is the delinquency aging report itself (the date built).
select t.as_of_date, t.aging_bucket, t.obligations, t.outstanding_cents, a.obligations as aging_obligations,
       a.outstanding_cents as aging_outstanding_cents
from {{ ref('delinquency_trend') }} t
inner join {{ ref('delinquency_aging') }} a on a.as_of_date = t.as_of_date and a.aging_bucket = t.aging_bucket
where t.snapshot_date = t.as_of_date and {{ lana.tested_report_date('t.as_of_date') }}
  and (t.obligations <> a.obligations or t.outstanding_cents <> a.outstanding_cents)
