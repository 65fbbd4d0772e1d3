{#- A surrogate key: md5 of the columns' text, nulls made explicit so (a, null) ≠ (null, a). -#}
{% macro surrogate_key(columns) -%}
  {%- set parts = [] -%}
  {%- for column in columns -%}
    {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '_null_')") -%}
    {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
  {%- endfor -%}
  {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}

{#-
  The raw tables' Kafka position columns. `offset` is a reserved word: PostgreSQL's DDL quotes
  it lower-case ("offset"), Snowflake's (core/warehouse/snowflake) upper-case ("OFFSET").
-#}
{% macro kafka_position_columns() -%}
  {{ return(adapter.dispatch('kafka_position_columns', 'pipeline')()) }}
{%- endmacro %}

{% macro postgres__kafka_position_columns() -%}
  topic as kafka_topic,
  partition as kafka_partition,
  "offset" as kafka_offset
{%- endmacro %}

{% macro snowflake__kafka_position_columns() -%}
  topic as kafka_topic,
  partition as kafka_partition,
  "OFFSET" as kafka_offset
{%- endmacro %}
