-- One row per voter whose vote counts: the voter's first vote (see stg_elections__votes), for a
-- registered candidate, by a registered voter. Votes whose references are missing are set apart
-- in election_rejected_votes instead — never in any total.
-- Incremental: each run takes the votes whose newest input (the vote, its voter's record or its
-- candidate's record) was ingested since the last run (>= so rows committed in the same instant
-- are not missed), and replaces rows with the same voter_id. So a vote whose voter registers
-- later moves in then, and a repeated batch changes nothing.
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

),

-- The dimensions (tables), not the staging views: joined to a view the planner may rescan its
-- window function per vote.
voters as (

    select voter_id, ingested_at from {{ ref('dim_voter') }}

),

candidates as (

    select candidate_id, ingested_at from {{ ref('dim_candidate') }}

),

referenced as (

    select
        votes.*,
        greatest(votes.ingested_at, voters.ingested_at, candidates.ingested_at) as references_ingested_at
    from votes
    inner join voters
        on votes.voter_id = voters.voter_id
    inner join candidates
        on votes.candidate_id = candidates.candidate_id

),

new_or_changed as (

    select * from referenced

    {% if is_incremental() %}
    where references_ingested_at >= (select coalesce(max(references_ingested_at), cast('1970-01-01' as {{ dbt.type_timestamp() }})) from {{ this }})
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
        ingested_at,
        references_ingested_at

    from new_or_changed

)

select * from final
