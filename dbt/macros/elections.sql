{#
  The elections records typed from a raw table's rows (`relation`: a CTE over the source),
  one row per raw row, not deduplicated. One definition for the staging views (which then
  deduplicate the whole table) and the incremental models (which type only the rows ingested
  since their last run, then merge them with the rows they hold: see int_elections__first_votes
  and dim_voter).
#}

{% macro elections_typed_votes(relation) -%}
    select
        {{ pipeline.json_value('payload', 'voter_id') }} as voter_id,
        {{ pipeline.json_value('payload', 'candidate_id') }} as candidate_id,

        {{ pipeline.json_value('payload', 'state') }} as state,
        coalesce({{ pipeline.json_value('payload', 'vote', 'integer') }}, 1) as vote,

        {{ pipeline.json_timestamp_utc('payload', 'voting_time') }} as voted_at,

        {{ pipeline.kafka_position_columns() }},
        {{ pipeline.to_utc('kafka_ts') }} as kafka_ts,
        ingested_at

    from {{ relation }}
{%- endmacro %}

{% macro elections_typed_voters(relation) -%}
    select
        {{ pipeline.json_value('payload', ['login', 'uuid']) }} as voter_id,

        {{ pipeline.json_value('payload', ['login', 'username']) }} as username,
        {{ pipeline.json_value('payload', 'gender') }} as gender,
        {{ pipeline.json_value('payload', ['name', 'title']) }} as title,
        {{ pipeline.json_value('payload', ['name', 'first']) }} as first_name,
        {{ pipeline.json_value('payload', ['name', 'last']) }} as last_name,
        {{ pipeline.json_value('payload', 'email') }} as email,
        {{ pipeline.json_value('payload', 'phone') }} as phone,
        {{ pipeline.json_value('payload', 'cell') }} as cell,
        {{ pipeline.json_value('payload', 'nat') }} as nationality,
        {{ pipeline.json_value('payload', ['location', 'street', 'number'], 'integer') }} as street_number,
        {{ pipeline.json_value('payload', ['location', 'street', 'name']) }} as street_name,
        {{ pipeline.json_value('payload', ['location', 'city']) }} as city,
        {{ pipeline.json_value('payload', ['location', 'state']) }} as state,
        {{ pipeline.json_value('payload', ['location', 'country']) }} as country,
        -- Numbers for some nationalities, strings for others: always text here.
        {{ pipeline.json_value('payload', ['location', 'postcode']) }} as postcode,

        {{ pipeline.json_value('payload', ['dob', 'age'], 'integer') }} as age,
        {{ pipeline.json_value('payload', ['registered', 'age'], 'integer') }} as years_registered,

        {{ pipeline.json_timestamp_utc('payload', ['dob', 'date']) }} as born_at,
        {{ pipeline.json_timestamp_utc('payload', ['registered', 'date']) }} as registered_at,

        {{ pipeline.kafka_position_columns() }},
        {{ pipeline.to_utc('kafka_ts') }} as kafka_ts,
        ingested_at

    from {{ relation }}
{%- endmacro %}

{#-
  The watermark of an incremental model: the newest `column` it holds (1970 when it is empty).
  A run takes what was ingested after it (>). A load's rows share one ingested_at (its
  transaction's start, the raw tables' default) and become visible together, so the rows at the
  watermark were all there when it was reached: `>=` took the newest load again on every run —
  in the benchmark 50,000 voters re-typed and rewritten in dim_voter each time for nothing.
  Read once when the model runs and written into its SQL as a literal: as a subquery its value is
  unknown when PostgreSQL plans, which then guesses a third of every table newer than it (1.5M
  votes: merge joins over whole tables for a run of 10,000, 25 s instead of a few). The literal is
  the column's own text (an untyped literal takes the type of what it is compared with); printed
  at a coarser precision (Snowflake's default: milliseconds) it is rounded down, which only takes
  a few rows twice. Unit tests give `this` as rows, not a table: there it stays a subquery.
-#}
{% macro incremental_watermark(column) -%}
  {%- set newest -%}
    select coalesce(max({{ column }}), cast('1970-01-01' as {{ dbt.type_timestamp() }})) from {{ this }}
  {%- endset -%}
  {%- if execute and is_incremental() and model.resource_type == 'model' -%}
    {%- set text = run_query('select cast((' ~ newest ~ ') as ' ~ dbt.type_string() ~ ')').columns[0].values()[0] -%}
    '{{ text }}'
  {%- else -%}
    ({{ newest }})
  {%- endif -%}
{%- endmacro %}
