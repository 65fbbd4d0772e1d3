-- One row per voter who voted: the voter's FIRST vote by Kafka position — the rows of
-- stg_elections__votes, kept as a table so that a run types and deduplicates only the votes
-- ingested since the last one instead of the whole raw table.
-- Incremental (delete+insert on voter_id): the new raw rows are typed, reduced to one per voter,
-- and merged with the row this table already holds for that voter by the same rule (first by
-- topic, partition, offset). So a repeat vote changes nothing, and an earlier vote loaded late
-- (its object loaded after a later one's) replaces the one counted so far, as a full build would.
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
            {'columns': ['built_at']},
        ]
    )
}}

{%- set columns = ['voter_id', 'candidate_id', 'state', 'vote', 'voted_at', 'kafka_topic',
                   'kafka_partition', 'kafka_offset', 'kafka_ts', 'ingested_at'] %}

with

source as (

    select * from {{ source('elections', 'elections_votes') }}
    {% if is_incremental() %}
    where ingested_at > {{ pipeline.incremental_watermark('ingested_at') }}
    {% endif %}

),

typed as (

    {{ pipeline.elections_typed_votes('source') }}

),

contenders as (

    select {{ columns | join(', ') }} from typed

    {% if is_incremental() %}
    union all

    select {{ columns | join(', ') }} from {{ this }}
    where voter_id in (select voter_id from typed)
    {% endif %}

),

first_vote as (

    {{ pipeline.deduplicate('contenders', 'voter_id', 'kafka_topic, kafka_partition, kafka_offset') }}

)

select
    {{ columns | join(', ') }},
    -- When the build that wrote this row started (macros/rows_built.sql: what its tests read).
    {{ pipeline.built_at() }} as built_at
from first_vote
