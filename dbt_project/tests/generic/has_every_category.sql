{# Each group (by default each report date) has exactly one row per category of `categories` (a
   seed: aging buckets, risk categories): a report that drops one would misstate the portfolio. #}
{% test has_every_category(model, column_name, categories, group_by=['as_of_date']) %}
select {{ group_by | join(', ') }}, count(*) as rows_in_group, count(distinct {{ column_name }}) as categories
from {{ model }}
group by {{ group_by | join(', ') }}
having count(*) <> (select count(*) from {{ categories }})
    or count(distinct {{ column_name }}) <> (select count(*) from {{ categories }})
{% endtest %}
