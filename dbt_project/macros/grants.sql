{# Analysts read marts and reports, nothing else (core_app/adapters/access.py: role lana_analyst).
   dbt's role owns these schemas and grants read access at the end of every run, so a table that
   the run rebuilt is covered again. Skipped where the role or a schema does not exist (a run that
   built only part of the project, a server whose administrator manages grants).
   BigQuery: dataset-level IAM for the principals in LANA_BQ_ANALYSTS (comma-separated, e.g.
   group:finance@bank.example), when set. #}
{% macro grant_analyst_access() %}
  {%- set schemas = var('analyst_schemas') -%}
  {%- if target.type == 'postgres' -%}
    do $$
    declare s text;
    begin
      if exists (select from pg_roles where rolname = 'lana_analyst') then
        foreach s in array array['{{ schemas | join("', '") }}'] loop
          if exists (select from pg_namespace where nspname = s) then
            execute format('grant usage on schema %I to lana_analyst', s);
            execute format('grant select on all tables in schema %I to lana_analyst', s);
          end if;
        end loop;
      end if;
    end $$
  {%- elif target.type == 'bigquery' and env_var('LANA_BQ_ANALYSTS', '') -%}
    {%- for schema in schemas -%}
      grant `roles/bigquery.dataViewer` on schema `{{ target.project }}`.`{{ schema }}`
        to {% for member in env_var('LANA_BQ_ANALYSTS').split(',') %}"{{ member | trim }}"{{ ", " if not loop.last }}{% endfor %};
    {% endfor -%}
  {%- else -%}
    select 1
  {%- endif -%}
{% endmacro %}
