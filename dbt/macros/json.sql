{#
  Typed access to the raw `payload` column (PostgreSQL jsonb, Snowflake VARIANT).

  json_value(column, path, type): `path` is a key or a list of keys for nested objects
  (e.g. ['location', 'city']); `type` is one of the portable names of sql_type() below.
  Keys may hold spaces ("Row ID"), so neither variant splices them into a path string.
#}

{% macro json_value(column, path, type='text') -%}
  {%- set keys = [path] if path is string else path -%}
  {{ return(adapter.dispatch('json_value', 'pipeline')(column, keys, type)) }}
{%- endmacro %}

{% macro default__json_value(column, keys, type) -%}
  {{ exceptions.raise_compiler_error("json_value is not implemented for " ~ target.type) }}
{%- endmacro %}

{% macro postgres__json_value(column, keys, type) -%}
  {%- set text_value -%}
    jsonb_extract_path_text({{ column }}{% for key in keys %}, '{{ key | replace("'", "''") }}'{% endfor %})
  {%- endset -%}
  {%- if type == 'text' -%}
    {{ text_value }}
  {%- else -%}
    cast({{ text_value }} as {{ pipeline.sql_type(type) }})
  {%- endif -%}
{%- endmacro %}

{% macro snowflake__json_value(column, keys, type) -%}
  {%- set variant_value -%}
    {{ column }}{% for key in keys %}['{{ key | replace("'", "''") }}']{% endfor %}
  {%- endset -%}
  {#- Variant → varchar first so numbers that arrive as strings (CSV cells) cast the same way. -#}
  {%- if type == 'text' -%}
    {{ variant_value }}::varchar
  {%- else -%}
    cast({{ variant_value }}::varchar as {{ pipeline.sql_type(type) }})
  {%- endif -%}
{%- endmacro %}


{#- Portable type names → the warehouse's type. -#}
{% macro sql_type(type) -%}
  {{ return(adapter.dispatch('sql_type', 'pipeline')(type)) }}
{%- endmacro %}

{% macro default__sql_type(type) -%}
  {%- set types = {'text': 'text', 'integer': 'bigint', 'numeric': 'numeric', 'boolean': 'boolean',
                   'date': 'date', 'timestamp': 'timestamp'} -%}
  {{ types[type] if type in types else exceptions.raise_compiler_error("unknown type " ~ type) }}
{%- endmacro %}

{% macro postgres__sql_type(type) -%}
  {%- set types = {'text': 'text', 'integer': 'bigint', 'numeric': 'numeric', 'boolean': 'boolean',
                   'date': 'date', 'timestamp': 'timestamptz'} -%}
  {{ types[type] if type in types else exceptions.raise_compiler_error("unknown type " ~ type) }}
{%- endmacro %}

{% macro snowflake__sql_type(type) -%}
  {#- Superstore amounts have at most 4 decimals; 6 keeps sums exact. -#}
  {%- set types = {'text': 'varchar', 'integer': 'number(38, 0)', 'numeric': 'number(38, 6)',
                   'boolean': 'boolean', 'date': 'date', 'timestamp': 'timestamp_tz'} -%}
  {{ types[type] if type in types else exceptions.raise_compiler_error("unknown type " ~ type) }}
{%- endmacro %}
