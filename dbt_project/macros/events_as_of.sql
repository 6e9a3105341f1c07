{# The rows of `relation` (a staging events model) recorded on or before the report date: what
   every as-of model starts from, so that a report never sees an event after its date.
   `date_column` is the business date the row belongs to (`effective_date` for ledger entries). #}
{% macro events_as_of(relation, date_column='business_date') -%}
    select e.*
    from {{ relation }} e
    cross join {{ ref('int_report_date') }} r
    where e.{{ date_column }} <= r.as_of_date
{%- endmacro %}
