-- Grain: one row per risk category (aging bucket): outstanding amount, the seed's rate and the
-- provision it requires, in USD cents (rounded half up), as of the report date.
select
    a.as_of_date,
    a.aging_bucket,
    a.bucket_order,
    a.obligations,
    a.outstanding_cents,
    p.provision_rate_bps,
    cast(floor((cast(a.outstanding_cents as {{ dbt.type_numeric() }}) * p.provision_rate_bps + 5000) / 10000)
        as {{ dbt.type_bigint() }}) as required_provision_cents
from {{ ref('delinquency_aging') }} a
-- The aging report keeps every date it was built for: this date's rows only.
join {{ ref('int_report_date') }} r on r.as_of_date = a.as_of_date
join {{ ref('provision_rates') }} p on p.aging_bucket = a.aging_bucket
