-- Votes per state (where the vote was cast) and candidate, with the candidate's rank in the state.
with

votes as (

    select * from {{ ref('fct_votes') }}

),

candidates as (

    select * from {{ ref('dim_candidate') }}

),

tally as (

    select
        location_id,
        candidate_id,
        state,
        sum(vote) as votes
    from votes
    group by location_id, candidate_id, state

),

final as (

    select
        {{ pipeline.surrogate_key(['tally.location_id', 'tally.candidate_id']) }} as state_result_id,
        tally.location_id,
        tally.candidate_id,

        tally.state,
        candidates.candidate_name,
        candidates.party,

        tally.votes,
        tally.votes * 1.0 / sum(tally.votes) over (partition by tally.location_id) as vote_share,
        rank() over (partition by tally.location_id order by tally.votes desc) as position

    from tally
    left join candidates
        on tally.candidate_id = candidates.candidate_id

)

select * from final
