-- One row per voter who voted (first vote by Kafka position, see stg_elections__votes).
-- Incremental: each run takes the votes ingested since the last one (>= so rows committed
-- in the same instant are not missed) and replaces rows with the same voter_id, so a late
-- first vote supersedes and a repeated batch changes nothing.
{{
    config(
        unique_key='voter_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail'
    )
}}

with

votes as (

    select * from {{ ref('stg_elections__votes') }}

    {% if is_incremental() %}
    where ingested_at >= (select coalesce(max(ingested_at), cast('1970-01-01' as {{ dbt.type_timestamp() }})) from {{ this }})
    {% endif %}

),

final as (

    select
        voter_id,
        candidate_id,
        {{ pipeline.surrogate_key(['state']) }} as location_id,

        state,

        vote,

        voted_at,
        {{ pipeline.truncate_to_date('day', 'voted_at') }} as voted_on,
        kafka_topic,
        kafka_partition,
        kafka_offset,
        ingested_at

    from votes

)

select * from final
