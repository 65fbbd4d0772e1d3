-- One row per registered voter with whether they voted: the shared base of the turnout marts
-- (turnout = voters who voted / registered voters, per state, age band or gender).
with

voters as (

    select * from {{ ref('dim_voter') }}

),

votes as (

    select * from {{ ref('fct_votes') }}

),

final as (

    select
        voters.voter_id,
        voters.location_id,

        voters.state,
        voters.gender,
        voters.age_band,

        case when votes.voter_id is null then 0 else 1 end as has_voted

    from voters
    left join votes
        on voters.voter_id = votes.voter_id

)

select * from final
