{# Rows are unique on the combination of `columns` (our own: no dbt Hub packages).

   On PostgreSQL, when a unique index on exactly these columns guards the table (incremental
   models get one, macros/incremental.sql; the raw tables have their primary key), the database
   has already refused every duplicate, except among rows with a NULL in a key column (a unique
   index treats NULLs as distinct): only those rows are read, found through the same index. This
   keeps the test's cost in proportion to what can go wrong, not to the table's history. #}
{% test unique_combination(model, columns) %}
{%- set guarded = target.type == 'postgres' and lana.has_unique_index(model, columns) %}
select {{ columns | join(', ') }}, count(*) as occurrences
from {{ model }}
{%- if guarded %}
where {% for column in columns %}{{ column }} is null{{ ' or ' if not loop.last }}{% endfor %}
{%- endif %}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}

