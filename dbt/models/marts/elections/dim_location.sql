-- State-level locations: every state a voter lives in or a vote was cast in. Votes carry
-- only the state, so country comes from the voters (null for a state only votes mention).
-- A table rebuilt every run (one row per state, every state touched by any batch of votes),
-- from the narrow incremental tables dim_voter and int_elections__first_votes, not the raw ones.
with

voters as (

    select state, country, voter_id from {{ ref('dim_voter') }}

),

votes as (

    select state from {{ ref('int_elections__first_votes') }}

),

states as (

    select state, country, voter_id from voters
    union all
    select state, cast(null as {{ dbt.type_string() }}) as country, cast(null as {{ dbt.type_string() }}) as voter_id
    from votes

),

final as (

    select
        {{ pipeline.surrogate_key(['state']) }} as location_id,

        state,
        max(country) as country,

        count(voter_id) as registered_voters

    from states
    where state is not null
    group by state

)

select * from final
