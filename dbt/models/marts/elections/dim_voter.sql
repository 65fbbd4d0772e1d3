with

voters as (

    select * from {{ ref('stg_elections__voters') }}

),

final as (

    select
        voter_id,
        {{ pipeline.surrogate_key(['state']) }} as location_id,

        username,
        first_name,
        last_name,
        gender,
        {{ pipeline.age_band('age') }} as age_band,
        city,
        state,
        country,
        nationality,

        age,

        born_at,
        registered_at,

        -- When this version of the record reached the warehouse (fct_votes' incremental filter).
        ingested_at

    from voters

)

select * from final
