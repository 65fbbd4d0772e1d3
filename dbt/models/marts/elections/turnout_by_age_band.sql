-- Turnout by age band = registered voters who voted / registered voters.
with

voters as (

    select * from {{ ref('int_elections__voter_turnout') }}

),

final as (

    select
        age_band,

        count(*) as registered_voters,
        sum(has_voted) as voters_who_voted,
        sum(has_voted) * 1.0 / count(*) as turnout

    from voters
    group by age_band

)

select * from final
