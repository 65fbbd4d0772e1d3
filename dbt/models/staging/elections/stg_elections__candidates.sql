-- One row per candidate: the latest version by Kafka position (a candidate's records share a
-- key, hence a partition, so the offset orders them).
with

source as (

    select * from {{ source('elections', 'elections_candidates') }}

),

typed as (

    select
        {{ pipeline.json_value('payload', 'candidate_id') }} as candidate_id,

        {{ pipeline.json_value('payload', 'candidate_name') }} as candidate_name,
        {{ pipeline.json_value('payload', 'party') }} as party,
        {{ pipeline.json_value('payload', 'biography') }} as biography,
        {{ pipeline.json_value('payload', 'photo_url') }} as photo_url,

        {{ pipeline.kafka_position_columns() }},
        {{ pipeline.to_utc('kafka_ts') }} as kafka_ts,
        ingested_at

    from source

),

latest as (

    {{ pipeline.deduplicate('typed', 'candidate_id', 'kafka_partition desc, kafka_offset desc') }}

)

select
    candidate_id,
    candidate_name,
    party,
    biography,
    photo_url,
    kafka_topic,
    kafka_partition,
    kafka_offset,
    kafka_ts,
    ingested_at
from latest
