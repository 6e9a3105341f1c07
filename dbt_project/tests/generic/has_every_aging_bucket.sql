{# Each group (by default each report date) has exactly one row per aging bucket of the
   provision_rates seed: an aging report that drops a bucket would misstate the portfolio. #}
{% test has_every_aging_bucket(model, column_name, group_by=['as_of_date']) %}
select {{ group_by | join(', ') }}, count(*) as rows_in_group, count(distinct {{ column_name }}) as buckets
from {{ model }}
group by {{ group_by | join(', ') }}
having count(*) <> (select count(*) from {{ ref('provision_rates') }})
    or count(distinct {{ column_name }}) <> (select count(*) from {{ ref('provision_rates') }})
{% endtest %}
