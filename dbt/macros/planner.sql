{#-
  Helping PostgreSQL's planner pick index lookups for a run that touches few rows of big tables
  (the incremental elections models). Both are no-ops for what they change on Snowflake.
-#}

{#-
  The values `query` returns (one column), written into the SQL as a list of literals for
  `column in (...)`: a subquery's size is unknown when PostgreSQL plans, so it guesses one from
  the table's statistics (one new candidate: a third of all votes touched) and hashes whole tables
  instead. `null` when there are none (`x in (null)` is never true). Unit tests give their inputs
  as rows, not tables: there the subquery stays.
-#}
{% macro values_of(query) -%}
  {%- if execute and model.resource_type == 'model' -%}
    {%- set values = run_query(query).columns[0].values() -%}
    {%- if values | length == 0 -%}
      null
    {%- else -%}
      {%- for value in values -%}
        '{{ value | replace("'", "''") }}'{{ ", " if not loop.last }}
      {%- endfor -%}
    {%- endif -%}
  {%- else -%}
    {{ query }}
  {%- endif -%}
{%- endmacro %}

{#-
  A post-hook: fresh statistics for the table just built. PostgreSQL has none for a table made by
  `create table as` until autovacuum gets to it (up to a minute later), and without them it
  plans the next run's joins by default guesses (a third of any range): a run of 10,000 new votes
  took 25 s instead of a few. Snowflake keeps its own statistics: nothing to do there.
-#}
{% macro analyze_table() -%}
  {{ return(adapter.dispatch('analyze_table', 'pipeline')()) }}
{%- endmacro %}

{% macro postgres__analyze_table() -%}
  analyze {{ this }}
{%- endmacro %}

{% macro default__analyze_table() -%}
{%- endmacro %}
