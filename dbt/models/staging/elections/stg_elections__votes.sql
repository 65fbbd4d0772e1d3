-- One vote per voter: the FIRST vote by Kafka position (topic, partition, offset) counts;
-- later votes by the same voter are ignored, whatever their voting_time says. Votes are
-- keyed by voter_id, so all of a voter's votes share one partition and the offset orders them.
with

source as (

    select * from {{ source('elections', 'elections_votes') }}

),

typed as (

    -- The typed columns (macros/elections.sql), shared with the incremental models.
    {{ pipeline.elections_typed_votes('source') }}

),

first_vote as (

    {{ pipeline.deduplicate('typed', 'voter_id', 'kafka_topic, kafka_partition, kafka_offset') }}

)

select
    voter_id,
    candidate_id,
    state,
    vote,
    voted_at,
    kafka_topic,
    kafka_partition,
    kafka_offset,
    kafka_ts,
    ingested_at
from first_vote
