-- Registered voters: the latest record per voter (login.uuid) by Kafka position — the rows of
-- stg_elections__voters with their location and age band.
-- Incremental (delete+insert on voter_id): a run types only the raw voter records ingested
-- since the newest ingested_at here and merges them with the voter's row by the same rule
-- (latest by partition, offset), so a record loaded late that is older than the one held
-- changes nothing, as in a full build. first_ingested_at keeps when the voter first registered.
{{
    config(
        materialized='incremental',
        unique_key='voter_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        meta={'test_rows_built': true},
        indexes=[
            {'columns': ['voter_id'], 'unique': true},
            {'columns': ['ingested_at']},
            {'columns': ['first_ingested_at']},
            {'columns': ['built_at']},
        ]
    )
}}

{%- set columns = ['voter_id', 'location_id', 'username', 'first_name', 'last_name', 'gender',
                   'age_band', 'city', 'state', 'country', 'nationality', 'age', 'born_at',
                   'registered_at', 'kafka_topic', 'kafka_partition', 'kafka_offset', 'ingested_at',
                   'first_ingested_at'] %}

with

source as (

    select * from {{ source('elections', 'elections_voters') }}
    {% if is_incremental() %}
    where ingested_at > {{ pipeline.incremental_watermark('ingested_at') }}
    {% endif %}

),

typed as (

    {{ pipeline.elections_typed_voters('source') }}

),

shaped as (

    select
        voter_id,
        {{ pipeline.surrogate_key(['state']) }} as location_id,

        username,
        first_name,
        last_name,
        gender,
        {{ pipeline.age_band('age') }} as age_band,
        city,
        state,
        country,
        nationality,

        age,

        born_at,
        registered_at,

        kafka_topic,
        kafka_partition,
        kafka_offset,
        -- When this version of the record reached the warehouse (the incremental filters).
        ingested_at,
        -- When the voter's first record did (their vote counts from then on: fct_votes).
        min(ingested_at) over (partition by voter_id) as first_ingested_at

    from typed

),

contenders as (

    select {{ columns | join(', ') }} from shaped

    {% if is_incremental() %}
    union all

    select {{ columns | join(', ') }} from {{ this }}
    where voter_id in (select voter_id from shaped)
    {% endif %}

),

registered as (

    select
        {{ columns[:-1] | join(', ') }},
        min(first_ingested_at) over (partition by voter_id) as first_ingested_at
    from contenders

),

latest as (

    {{ pipeline.deduplicate('registered', 'voter_id', 'kafka_partition desc, kafka_offset desc') }}

)

select
    {{ columns | join(', ') }},
    -- When the build that wrote this row started (macros/rows_built.sql: what its tests read).
    {{ pipeline.built_at() }} as built_at
from latest
