-- Assets = Liabilities + Equity (earnings included): the lines add up, and to the totals shown;
-- the comparative column balances too.
select as_of_date,
       sum(case when section_code = '1000' and line_type = 'line' then amount_cents else 0 end) as assets,
       sum(case when section_code in ('2000', '3000') and line_type = 'line' then amount_cents else 0 end)
           as liabilities_and_equity,
       sum(case when line_code = '1999' then amount_cents else 0 end) as total_assets,
       sum(case when line_code = '9999' then amount_cents else 0 end) as total_liabilities_and_equity
from {{ ref('balance_sheet') }}
where {{ lana.tested_report_date('as_of_date') }}
group by as_of_date
having sum(case when section_code = '1000' and line_type = 'line' then amount_cents else 0 end)
    <> sum(case when section_code in ('2000', '3000') and line_type = 'line' then amount_cents else 0 end)
    or sum(case when line_code = '1999' then amount_cents else 0 end)
    <> sum(case when line_code = '9999' then amount_cents else 0 end)
    or sum(case when line_code = '1999' then amount_cents else 0 end)
    <> sum(case when section_code = '1000' and line_type = 'line' then amount_cents else 0 end)
    or sum(case when line_code = '1999' then prior_amount_cents else 0 end)
    <> sum(case when line_code = '9999' then prior_amount_cents else 0 end)
