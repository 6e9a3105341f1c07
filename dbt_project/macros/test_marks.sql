{# Tests that read only the rows an append-only model gained since they last passed.

   A model whose rows never change once built and whose new rows come with a `tx_id` at or above
   every row built before (the raw layer loads in transaction-id order, macros/incremental.sql)
   says so in its YAML: `config: {meta: {append_only_by: tx_id}}`. Each of its tests that judges
   rows one by one (`marked_column`) then reads only the rows at or above that test's mark: the
   largest `tx_id` the model held when the test last passed. Without this a daily build re-tests
   the bank's whole history (at 4.9M events, two relationships tests of the ledger's entries alone
   took 8 s each).

   Nothing that failed is forgotten: a mark moves only when its test passed (on-run-end,
   `advance_test_marks`), so a failing row stays at or above it and fails every build until
   mended. A model built whole (its first build, `--full-refresh`) drops its tests' marks first
   (pre-hook `forget_test_marks`), so every test reads the whole rebuilt table once more. The marks
   live in the warehouse, in `<target schema>.test_marks`, one row per test. #}

{% macro test_marks_relation() -%}
  {{ return(api.Relation.create(database=target.database, schema=target.schema, identifier='test_marks')) }}
{%- endmacro %}


{# on-run-start: the marks' schema, then their table, created once (one statement each). #}
{% macro create_test_marks_schema() -%}
  {%- set marks = lana.test_marks_relation() -%}
  create schema if not exists {{ adapter.quote(marks.schema) if target.type == 'postgres' else marks.without_identifier() }}
{%- endmacro %}


{% macro create_test_marks() -%}
  create table if not exists {{ lana.test_marks_relation() }} (
    test_id {{ dbt.type_string() }} not null,
    model_id {{ dbt.type_string() }} not null,
    passed_through_tx_id {{ dbt.type_bigint() }} not null
  )
{%- endmacro %}


{# The column a test may start from its mark on, or none: `test` is a test node (the one being
   compiled, or one of on-run-end's results). #}
{% macro marked_column(test) -%}
  {%- if test.resource_type != 'test' or not test.test_metadata or not test.attached_node -%}
    {{ return(none) }}
  {%- endif -%}
  {%- set parent = graph.nodes.get(test.attached_node) -%}
  {%- if not parent or not parent.config.meta.get('append_only_by') -%}{{ return(none) }}{%- endif -%}
  {#- Tests whose verdict on a row depends only on that row (for `relationships`, on the row and
      its parent, which the parent keeps). -#}
  {%- set row_wise = test.test_metadata.name in ['not_null', 'accepted_values', 'relationships', 'non_negative'] -%}
  {#- A uniqueness test on the model's unique key too: its incremental builds merge on that key, so
      a new row can duplicate an old one only by replacing it, and among the new rows the test
      still sees every duplicate. -#}
  {%- set kwargs = test.test_metadata.kwargs -%}
  {%- set tested_key = kwargs.get('columns') or [kwargs.get('column_name')] -%}
  {%- set unique_key = parent.config.unique_key -%}
  {%- set unique_key = [unique_key] if unique_key is string else (unique_key or []) -%}
  {%- set on_merge_key = test.test_metadata.name in ['unique', 'unique_combination']
      and tested_key | map('lower') | sort | list == unique_key | map('lower') | sort | list -%}
  {{ return(parent.config.meta.append_only_by if row_wise or on_merge_key else none) }}
{%- endmacro %}


{# The condition that limits the test being compiled (`model` in a test's context is the test
   node) to the rows at or above its mark; '' when the test reads everything (no mark yet, not a
   row-wise test of an append-only model). A literal, read when the test runs, so that the planner
   sees how few rows lie above it; compiled offline (no warehouse to ask), every test reads all. #}
{% macro test_mark_condition() -%}
  {%- set column = lana.marked_column(model) if execute else none -%}
  {%- if not column -%}{{ return('') }}{%- endif -%}
  {%- if var('compile_offline', false) -%}{{ return('') }}{%- endif -%}
  {%- set marks = lana.test_marks_relation() -%}
  {%- if not adapter.get_relation(marks.database, marks.schema, marks.identifier) -%}
    {{ return('') }}  {#- compiled before any build created it -#}
  {%- endif -%}
  {#- A mark above the model's newest row is void: the table was restored or rebuilt with fewer
      rows since, and is read whole again. -#}
  {%- set parent = graph.nodes[model.attached_node] -%}
  {%- set lookup -%}
    select max(m.passed_through_tx_id)
    from {{ marks }} m
    where m.test_id = '{{ model.unique_id }}'
      and m.passed_through_tx_id <= (
        select max({{ column }})
        from {{ api.Relation.create(database=parent.database, schema=parent.schema, identifier=parent.alias) }}
      )
  {%- endset -%}
  {%- set mark = run_query(lookup).columns[0].values()[0] -%}
  {{ return('' if mark is none else column ~ ' >= ' ~ mark) }}
{%- endmacro %}


{# dbt wraps the `model` argument of every generic test in this macro (its own version applies the
   `where` config): here the test's mark is applied as well. #}
{% macro get_where_subquery(relation) -%}
  {%- set conditions = [] -%}
  {%- set where = config.get('where') -%}
  {%- if where -%}{%- do conditions.append('(' ~ where ~ ')') -%}{%- endif -%}
  {%- set since_mark = lana.test_mark_condition() -%}
  {%- if since_mark -%}{%- do conditions.append(since_mark) -%}{%- endif -%}
  {%- if conditions -%}
    {{ return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') }}
  {%- endif -%}
  {{ return(relation) }}
{%- endmacro %}


{# Pre-hook of every model: a model built whole forgets its tests' marks. #}
{% macro forget_test_marks() -%}
  {%- if model.config.meta.get('append_only_by') and not lana.is_incremental_build() -%}
    delete from {{ lana.test_marks_relation() }} where model_id = '{{ model.unique_id }}'
  {%- endif -%}
{%- endmacro %}


{# on-run-end: each marked test that passed moves its mark to the largest `tx_id` its model holds
   now (the model does not change after its tests within a build). Each statement is its own query
   (BigQuery runs one statement per job unless it is a script). #}
{% macro advance_test_marks(results) -%}
  {%- set passed = [] -%}
  {%- for result in results if result.node.resource_type == 'test' and result.status == 'pass' -%}
    {%- set column = lana.marked_column(result.node) -%}
    {%- if column -%}{%- do passed.append([result.node, graph.nodes[result.node.attached_node], column]) -%}{%- endif -%}
  {%- endfor -%}
  {%- if passed and execute -%}
    {%- set delete -%}
      delete from {{ lana.test_marks_relation() }}
      where test_id in ({% for test, parent, column in passed %}'{{ test.unique_id }}'{{ ', ' if not loop.last }}{% endfor %})
    {%- endset -%}
    {%- set insert -%}
      insert into {{ lana.test_marks_relation() }} (test_id, model_id, passed_through_tx_id)
      select test_id, model_id, newest from (
        {%- for test, parent, column in passed %}
        select '{{ test.unique_id }}' as test_id, '{{ parent.unique_id }}' as model_id, max({{ column }}) as newest
        from {{ api.Relation.create(database=parent.database, schema=parent.schema, identifier=parent.alias) }}
        {{ 'union all' if not loop.last }}
        {%- endfor %}
      ) as newest_rows
      where newest is not null
    {%- endset -%}
    {%- do run_query(delete) -%}
    {%- do run_query(insert) -%}
  {%- endif -%}
  select 1
{%- endmacro %}
