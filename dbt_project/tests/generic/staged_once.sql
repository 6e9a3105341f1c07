{# A raw table's rows each appear exactly once in its staging model (incremental models included):
   nothing dropped, nothing doubled between the raw layer and staging. #}
{% test staged_once(model, staging_model) %}
select raw_rows, staged_rows
from (select count(*) as raw_rows from {{ model }}) r
cross join (select count(*) as staged_rows from {{ ref(staging_model) }}) s
where raw_rows <> staged_rows
{% endtest %}
