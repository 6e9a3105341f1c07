-- A period starts on or before the date it runs to: an inverted one would publish zeros.
select as_of_date, period, period_start
from {{ ref('int_report_periods') }}
where period_start > as_of_date
