with

candidates as (

    select * from {{ ref('stg_elections__candidates') }}

),

final as (

    select
        candidate_id,

        candidate_name,
        party,
        biography,
        photo_url,

        kafka_ts as updated_at,
        -- When this version of the record reached the warehouse (fct_votes' incremental filter).
        ingested_at

    from candidates

)

select * from final
