-- State-level locations: every state a voter lives in or a vote was cast in. Votes carry
-- only the state, so country comes from the voters (null for a state only votes mention).
with

voters as (

    select * from {{ ref('stg_elections__voters') }}

),

votes as (

    select * from {{ ref('stg_elections__votes') }}

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
