{# Is this build adding to an existing table (an incremental run)?
   `compile_offline` (for `dbt compile` without a warehouse, e.g. BigQuery from CI) skips the one
   question that needs a connection, does the table exist yet: `true` compiles every model as a
   first build, `'incremental'` as an incremental one (so that both can be checked). #}
{% macro is_incremental_build() -%}
  {%- set offline = var('compile_offline', false) -%}
  {{ return(offline == 'incremental' or (not offline and is_incremental())) }}
{%- endmacro %}


{# The filter of an incremental staging model: only raw rows loaded since the last build.
   The raw layer is loaded gap-free by transaction id (see tap-lana-events), so a newly loaded row
   never has a smaller tx_id than one already built; `>=` re-reads the last transaction, and the
   model's unique key merges it away. An empty table (built before anything was loaded) bounds
   nothing (`built_max` gives 0). #}
{% macro new_rows_only(column='tx_id') -%}
  {%- if lana.is_incremental_build() -%}
    where {{ column }} >= {{ lana.built_max(column) }}
  {%- endif -%}
{%- endmacro %}


{# Pre-hook of a model with one row per day up to the report date: a build for an earlier date
   first removes the days after it, so the table holds what a full build for that date holds. #}
{% macro drop_days_after_report_date(column='day') -%}
  {%- if lana.is_incremental_build() -%}
    delete from {{ this }}
    where {{ column }} > {{ lana.date_var('as_of_date') or "(select as_of_date from " ~ ref('int_report_date') ~ ")" }}
  {%- endif -%}
{%- endmacro %}


{# The largest `column` already built in this incremental model, as a literal when the build runs
   (the planner then estimates how many rows lie above it; of a subquery it assumes a third of the
   table, and reads whole tables for a few rows), as a subquery when compiling offline. #}
{% macro built_max(column) -%}
  {%- if execute and not var('compile_offline', false) -%}
    {%- set value = run_query('select max(' ~ column ~ ') from ' ~ this).columns[0].values()[0] -%}
    {{ return(0 if value is none else value) }}
  {%- endif -%}
  {{ return('(select coalesce(max(' ~ column ~ '), 0) from ' ~ this ~ ')') }}
{%- endmacro %}


{# Has `relation` a column `name`? A model whose incremental build reads a column it did not
   always have rebuilds a table created before that column whole. True when compiling offline,
   where no table can be asked (the incremental variant is the one to check). #}
{% macro relation_has_column(relation, name) -%}
  {%- if var('compile_offline', false) or not execute -%}{{ return(true) }}{%- endif -%}
  {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
  {{ return(name | lower in columns) }}
{%- endmacro %}


{# The `key` of every row of `relation` loaded since this model's last build (tx_id at or above
   the largest one built): the entities an incremental build recomputes from their whole history. #}
{% macro keys_with_new_rows(relation, key) -%}
    select distinct n.{{ key }}
    from {{ relation }} n
    where n.tx_id >= {{ lana.built_max('tx_id') }}
{%- endmacro %}


{# The configuration of a model merged on its key: `{{ config(**lana.merged_on(key, [...])) }}`.
   Incremental (delete+insert on PostgreSQL, `append_only` for a model that only gains rows; merge
   on BigQuery), with the indexes of `incremental_indexes`; a column added to the model is added
   to its table. #}
{% macro merged_on(unique_key, filtered=[], append_only=false) -%}
  {%- set on_postgres = 'append_only' if append_only else 'delete+insert' -%}
  {{ return({
    'materialized': 'incremental',
    'unique_key': unique_key,
    'indexes': lana.incremental_indexes(unique_key, filtered),
    'incremental_strategy': 'merge' if target.type == 'bigquery' else on_postgres,
    'on_schema_change': 'append_new_columns',
  }) }}
{%- endmacro %}


{# The indexes of an incremental model on PostgreSQL (dbt-postgres creates them with the table;
   other warehouses ignore the setting): a unique index on its unique key, so that the merge finds
   the rows it replaces by index and the database itself refuses a duplicate (the
   `unique_combination` test then reads only rows a unique index cannot guard, see its macro), and
   plain indexes on the columns incremental builds select its newest rows by. #}
{% macro incremental_indexes(unique_key, filtered=[]) -%}
  {%- set key = [unique_key] if unique_key is string else unique_key -%}
  {%- set indexes = [{'columns': key, 'unique': true}] -%}
  {%- for column in filtered -%}
    {%- do indexes.append({'columns': [column]}) -%}
  {%- endfor -%}
  {{ return(indexes) }}
{%- endmacro %}


{# Does a valid, unconditional unique index on exactly `columns` (in any order) exist on
   `relation`? Asked of the catalog when the test runs (false when only compiling). #}
{% macro has_unique_index(relation, columns) -%}
  {%- if not execute -%}{{ return(false) }}{%- endif -%}
  {%- set wanted = columns | map('lower') | unique | list -%}
  {%- set query -%}
    select count(*)
    from pg_index i
    join pg_class c on c.oid = i.indrelid
    join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = '{{ relation.schema }}'
      and c.relname = '{{ relation.identifier }}'
      and i.indisunique and i.indisvalid and i.indpred is null and i.indexprs is null
      and i.indnkeyatts = {{ wanted | length }}
      and (
        select array_agg(a.attname::text)
        from pg_attribute a
        where a.attrelid = c.oid and a.attnum = any(i.indkey)
      ) <@ array[{% for column in wanted %}'{{ column }}'{{ ', ' if not loop.last }}{% endfor %}]::text[]
  {%- endset -%}
  {{ return(run_query(query).columns[0].values()[0] > 0) }}
{%- endmacro %}


{# A named incremental strategy (dbt's extension point: `incremental_strategy='append_only'`) for
   models that only ever gain rows, each with a `tx_id` at or above every row built before (their
   YAML says so: `meta: {append_only_by: tx_id}`). dbt's delete+insert first deletes every row
   whose key comes again in the new rows, probing the key's index once per new row (at 1M events,
   11,224 new ledger entries: 56,120 pages touched). Such a model can meet a key again only among
   the rows of the last transaction it built (its builds re-read `tx_id >= built_max`, and a row
   never changes): this deletes only among those, by the `tx_id` index, the bound a literal so that
   the planner knows how few they are (the same delete: 375 pages); a key met below the bound is
   refused by the unique index, never doubled. PostgreSQL only (`append_only_strategy`). #}
{% macro get_incremental_append_only_sql(arg_dict) -%}
  {%- set column = config.get('meta', {}).get('append_only_by', 'tx_id') -%}
  {%- set predicates = (arg_dict['incremental_predicates'] or []) | list -%}
  {%- do predicates.append('DBT_INTERNAL_DEST.' ~ column ~ ' >= ' ~ lana.built_max(column)) -%}
  {{ return(get_delete_insert_merge_sql(
      arg_dict['target_relation'], arg_dict['temp_relation'], arg_dict['unique_key'],
      arg_dict['dest_columns'], predicates)) }}
{%- endmacro %}


{# The strategy of an append-only model: the one above on PostgreSQL; BigQuery merges (its
   adapter takes no strategy of a project's own). #}
{% macro append_only_strategy() -%}
  {{ return('append_only' if target.type == 'postgres' else 'merge') }}
{%- endmacro %}
