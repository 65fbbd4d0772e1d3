-- Votes set apart because a reference is missing: the voter's counting vote (see
-- int_elections__first_votes) names a candidate that is not registered, or comes from a voter with no
-- voter record. They are in no total; the quality gate counts them (tests/rejected_votes_within_threshold.sql).
-- A vote whose voter or candidate registers later leaves this table on the next build and
-- enters fct_votes.
-- A table, rebuilt every run: it is small (the quality gate fails above max_rejected_votes),
-- rows leave it when a reference arrives, and it reads only narrow tables (the first votes, the
-- voter and candidate ids), never the raw votes.
with

votes as (

    select * from {{ ref('int_elections__first_votes') }}

),

voters as (

    select voter_id from {{ ref('dim_voter') }}

),

candidates as (

    select candidate_id from {{ ref('dim_candidate') }}

),

final as (

    select
        votes.voter_id,
        votes.candidate_id,
        votes.state,
        votes.voted_at,
        case
            when candidates.candidate_id is null then 'unknown candidate'
            else 'unknown voter'
        end as reason,
        votes.kafka_topic,
        votes.kafka_partition,
        votes.kafka_offset,
        votes.ingested_at

    from votes
    left join candidates
        on votes.candidate_id = candidates.candidate_id
    left join voters
        on votes.voter_id = voters.voter_id
    where candidates.candidate_id is null
        or voters.voter_id is null

)

select * from final
