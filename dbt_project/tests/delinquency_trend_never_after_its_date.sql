-- A trend snapshot is rebuilt from events up to its date: none may be later than the report date.
select as_of_date, snapshot_date
from {{ ref('delinquency_trend') }}
where snapshot_date > as_of_date and {{ lana.tested_report_date('as_of_date') }}
