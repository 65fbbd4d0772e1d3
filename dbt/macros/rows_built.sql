{#-
  A `dbt build` tests the rows it wrote, not every row a big incremental table holds.

  An incremental model that opts in (config `meta={'test_rows_built': true}`) stamps every row it
  writes with `built_at` (below). When `dbt build` has just built such a model, the generic tests
  attached to it read only the rows stamped by this invocation: after 10,000 new votes, a
  `unique` or `relationships` test on fct_votes checks 10,000 rows instead of every vote (1.5M:
  about 1 s each, and the elections models carry a dozen of them).
  Why the rows not rewritten need no new check: each of these tests is about one row (not_null,
  accepted_values, expression_is_true), or about a key the table's own unique index and
  delete+insert already keep unique (unique), or about a parent table that never loses a key the
  held rows name (relationships to dim_voter, dim_candidate, dim_location: voters, candidates and
  states are only ever added). A full build (`--full-refresh`, a first run) stamps every row, so
  everything is tested; `dbt test` on its own, or a build that did not select the model, tests
  every row too.
-#}

{#- When the build writing a row started: one value per dbt invocation, shared by its models and tests. -#}
{% macro built_at() -%}
  cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#-
  dbt's own hook for what a generic test reads (the `where` config, core's default): the
  relation, filtered by `where` if set and, in a build that just built an opted-in model, to the
  rows that build stamped.
-#}
{% macro get_where_subquery(relation) -%}
  {%- set filters = [] -%}
  {%- set where = config.get('where', '') -%}
  {%- if where -%}
    {%- do filters.append('(' ~ where ~ ')') -%}
  {%- endif -%}
  {%- if pipeline.tests_rows_built_only() -%}
    {%- do filters.append('built_at = ' ~ pipeline.built_at()) -%}
  {%- endif -%}
  {%- if filters -%}
    {%- do return('(select * from ' ~ relation ~ ' where ' ~ filters | join(' and ') ~ ') dbt_subquery') -%}
  {%- else -%}
    {%- do return(relation) -%}
  {%- endif -%}
{%- endmacro %}

{#- Whether the test being compiled is attached to an opted-in model this `dbt build` selected. -#}
{% macro tests_rows_built_only() -%}
  {%- set attached = model.get('attached_node') if model is mapping else none -%}
  {%- if not execute or flags.WHICH != 'build' or not attached or attached not in selected_resources -%}
    {{ return(false) }}
  {%- endif -%}
  {%- set node = graph.nodes.get(attached) -%}
  {{ return(node is not none and node.config.materialized == 'incremental'
            and node.config.meta.get('test_rows_built', false)) }}
{%- endmacro %}
