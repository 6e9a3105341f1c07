{# What a data test reads: what the build changed, not the bank's whole history.

   Reports. A report table keeps every date it was built for, and a build replaces only its own
   date (`replace_report_date`): dbt_project.yml gives every test of a report dbt's own `where`
   config, `as_of_date = __report_date__`, and `get_where_subquery` below puts the build's date in
   its place (dbt's documented way to a `where` known only when the test runs). The other dates
   were tested when they were built. Singular tests of reports say the same with
   `tested_report_date`.

   Append-only models. What standard dbt cannot do: remember what has passed. A model whose rows
   never change once built and whose new rows come with a `tx_id` at or above every row built
   before says so in its YAML (`meta: {append_only_by: tx_id}`). Each of its tests that judges
   rows one by one (`marked_column`) reads only the rows at or above that test's mark: the largest
   `tx_id` the model held when the test last passed. Nothing that failed is forgotten: a mark moves
   only when its test passed (on-run-end, `advance_test_marks`), so a failing row stays at or
   above it and fails every build until mended. A model built whole (its first build,
   `--full-refresh`) drops its tests' marks first (pre-hook `forget_test_marks`), and a mark above
   the model's newest row (a table restored from an older copy) is void: the tests read the whole
   table again. The marks live in the warehouse, `<target schema>.test_marks`, one row per test.

   `--vars '{test_every_row: true}'` makes every test read everything (an audit). Without this a
   daily build re-tested the whole history: at 4.9M events the two relationships tests of the
   ledger's entries alone took 8 s each, and a year of daily reports is 365 dates per report. #}

{% macro test_marks_relation() -%}
  {{ return(api.Relation.create(database=target.database, schema=target.schema, identifier='test_marks')) }}
{%- endmacro %}


{# The relation of a node of the graph (a model this macro file reads without `ref`). #}
{% macro node_relation(node) -%}
  {{ return(api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias)) }}
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


{# The model a generic test is attached to (a node of the graph), or none. `test` is a test node:
   the one being compiled (`model` in a test's context), or one of on-run-end's results. #}
{% macro tested_model(test) -%}
  {%- if test.resource_type != 'test' or not test.test_metadata or not test.attached_node -%}
    {{ return(none) }}
  {%- endif -%}
  {{ return(graph.nodes.get(test.attached_node)) }}
{%- endmacro %}


{# Tests whose verdict on a row depends only on that row (for `relationships`, on the row and its
   parent, which the parent keeps). #}
{% macro is_row_wise(test) -%}
  {{ return(test.test_metadata.name in ['not_null', 'accepted_values', 'relationships', 'non_negative']) }}
{%- endmacro %}


{# The columns a uniqueness test is on (none for other tests). #}
{% macro unique_test_columns(test) -%}
  {%- if test.test_metadata.name not in ['unique', 'unique_combination'] -%}{{ return(none) }}{%- endif -%}
  {%- set kwargs = test.test_metadata.kwargs -%}
  {{ return((kwargs.get('columns') or [kwargs.get('column_name')]) | map('lower') | sort | list) }}
{%- endmacro %}


{# The column a test of an append-only model reads from its mark on, or none: a row-wise test, or
   a uniqueness test on the key the model's incremental builds merge on (a new row can duplicate
   an old one only by replacing it, and among the new rows the test still sees every duplicate). #}
{% macro marked_column(test) -%}
  {%- set parent = lana.tested_model(test) -%}
  {%- if not parent or not parent.config.meta.get('append_only_by') -%}{{ return(none) }}{%- endif -%}
  {%- set unique_key = parent.config.unique_key -%}
  {%- set unique_key = [unique_key] if unique_key is string else (unique_key or []) -%}
  {%- set on_merge_key = lana.unique_test_columns(test) == unique_key | map('lower') | sort | list -%}
  {{ return(parent.config.meta.append_only_by if lana.is_row_wise(test) or on_merge_key else none) }}
{%- endmacro %}


{# The date a build's reports are for: the `as_of_date` variable, else the report date model. #}
{% macro built_report_date() -%}
  {{ return(lana.date_var('as_of_date')
     or '(select as_of_date from ' ~ lana.node_relation(graph.nodes['model.lana.int_report_date']) ~ ')') }}
{%- endmacro %}


{# `column = <the build's report date>` for a singular test of a report, or `1 = 1` when every row
   is tested (`test_every_row`) or the test is only being parsed. #}
{% macro tested_report_date(column) -%}
  {%- if not execute or var('test_every_row', false) -%}{{ return('1 = 1') }}{%- endif -%}
  {{ return(column ~ ' = ' ~ lana.built_report_date()) }}
{%- endmacro %}


{# The condition that limits the test being compiled (`model` in a test's context is the test
   node) to the rows at or above its mark; '' when the test reads everything (no mark yet, not a
   row-wise test of an append-only model). A literal, read when the test runs, so that the planner
   sees how few rows lie above it; compiled offline (no warehouse to ask), every test reads all. #}
{% macro test_mark_condition() -%}
  {%- if var('compile_offline', false) -%}{{ return('') }}{%- endif -%}
  {%- set column = lana.marked_column(model) -%}
  {%- if not column -%}{{ return('') }}{%- endif -%}
  {%- set marks = lana.test_marks_relation() -%}
  {%- if not adapter.get_relation(marks.database, marks.schema, marks.identifier) -%}
    {{ return('') }}  {#- compiled before any build created it -#}
  {%- endif -%}
  {#- A mark above the model's newest row is void: the table was restored or rebuilt with fewer
      rows since, and is read whole again. -#}
  {%- set lookup -%}
    select max(m.passed_through_tx_id)
    from {{ marks }} m
    where m.test_id = '{{ model.unique_id }}'
      and m.passed_through_tx_id <= (
        select max({{ column }})
        from {{ lana.node_relation(lana.tested_model(model)) }}
      )
  {%- endset -%}
  {%- set mark = run_query(lookup).columns[0].values()[0] -%}
  {{ return('' if mark is none else column ~ ' >= ' ~ mark) }}
{%- endmacro %}


{# dbt wraps the `model` argument of every generic test in this macro (its own version applies the
   `where` config): here the build's report date fills the `where` of a report's tests, and the
   test's mark, if it has one, is applied as well. #}
{% macro get_where_subquery(relation) -%}
  {%- set conditions = [] -%}
  {%- set where = config.get('where') -%}
  {%- if where and '__report_date__' in where -%}
    {%- set where = none if var('test_every_row', false) or not execute
                    else where | replace('__report_date__', lana.built_report_date()) -%}
  {%- endif -%}
  {%- if where -%}{%- do conditions.append('(' ~ where ~ ')') -%}{%- endif -%}
  {%- if execute and not var('test_every_row', false) -%}
    {%- set since_mark = lana.test_mark_condition() -%}
    {%- if since_mark -%}{%- do conditions.append(since_mark) -%}{%- endif -%}
  {%- endif -%}
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
    {%- if column -%}{%- do passed.append([result.node, lana.tested_model(result.node), column]) -%}{%- endif -%}
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
        from {{ lana.node_relation(parent) }}
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
