-- Assets = Liabilities + Equity (unclosed earnings included).
select as_of_date,
       sum(case section_code when '1000' then amount_cents else 0 end) as assets,
       sum(case when section_code in ('2000', '3000') then amount_cents else 0 end) as liabilities_and_equity
from {{ ref('balance_sheet') }}
group by as_of_date
having sum(case section_code when '1000' then amount_cents else 0 end)
    <> sum(case when section_code in ('2000', '3000') then amount_cents else 0 end)
