-- Dagster lists this test as a check of delinquency_aging (it reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'delinquency_aging'}}}) }}
-- An obligation the core has defaulted is aged in the last bucket (90+) on the report date, never
-- in a lower one at a lower provision rate.
select r.as_of_date, d.defaulted, a.obligations as in_last_bucket
from (
    select count(*) as defaulted
    from {{ ref('int_obligations') }}
    where status = 'defaulted' and outstanding > 0
) d
cross join {{ ref('int_report_date') }} r
inner join {{ ref('delinquency_aging') }} a on a.as_of_date = r.as_of_date and a.aging_bucket = '90+'
where a.obligations < d.defaulted
