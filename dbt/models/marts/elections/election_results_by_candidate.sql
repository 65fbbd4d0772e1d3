-- Votes per candidate, candidates without votes included.
with

candidates as (

    select * from {{ ref('dim_candidate') }}

),

votes as (

    select * from {{ ref('fct_votes') }}

),

tally as (

    select
        candidate_id,
        sum(vote) as votes
    from votes
    group by candidate_id

),

final as (

    select
        candidates.candidate_id,

        candidates.candidate_name,
        candidates.party,

        coalesce(tally.votes, 0) as votes,
        coalesce(tally.votes, 0) * 1.0 / nullif(sum(tally.votes) over (), 0) as vote_share,
        rank() over (order by coalesce(tally.votes, 0) desc) as position

    from candidates
    left join tally
        on candidates.candidate_id = tally.candidate_id

)

select * from final
