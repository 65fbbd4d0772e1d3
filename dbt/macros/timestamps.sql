{#
  Time helpers. Payload timestamps are ISO-8601 strings with an offset; the models keep them
  as UTC wall-clock timestamps (no time zone) so dates and truncations never depend on the
  session's time zone.
#}

{#- An ISO-8601 payload field → UTC timestamp without time zone. -#}
{% macro json_timestamp_utc(column, path) -%}
  {{ return(adapter.dispatch('json_timestamp_utc', 'pipeline')(column, path)) }}
{%- endmacro %}

{% macro postgres__json_timestamp_utc(column, path) -%}
  ({{ pipeline.json_value(column, path, 'timestamp') }} at time zone 'UTC')
{%- endmacro %}

{% macro snowflake__json_timestamp_utc(column, path) -%}
  convert_timezone('UTC', {{ pipeline.json_value(column, path, 'timestamp') }})::timestamp_ntz
{%- endmacro %}

{#- A timestamp column (timestamptz / timestamp_tz, e.g. kafka_ts) → UTC timestamp without time zone. -#}
{% macro to_utc(expression) -%}
  {{ return(adapter.dispatch('to_utc', 'pipeline')(expression)) }}
{%- endmacro %}

{% macro postgres__to_utc(expression) -%}
  ({{ expression }} at time zone 'UTC')
{%- endmacro %}

{% macro snowflake__to_utc(expression) -%}
  convert_timezone('UTC', {{ expression }})::timestamp_ntz
{%- endmacro %}

{#- The first day of the `period` ('day', 'month', …) holding a timestamp or date, as a date. -#}
{% macro truncate_to_date(period, expression) -%}
  {{ return(adapter.dispatch('truncate_to_date', 'pipeline')(period, expression)) }}
{%- endmacro %}

{% macro postgres__truncate_to_date(period, expression) -%}
  cast(date_trunc('{{ period }}', {{ expression }}) as date)
{%- endmacro %}

{% macro snowflake__truncate_to_date(period, expression) -%}
  date_trunc('{{ period }}', {{ expression }})::date
{%- endmacro %}
