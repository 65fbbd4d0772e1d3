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

        kafka_ts as updated_at

    from candidates

)

select * from final
