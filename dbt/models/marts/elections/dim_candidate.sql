with

candidates as (

    select * from {{ ref('stg_elections__candidates') }}

),

-- When each candidate was first registered: a vote for it counts from then on (fct_votes'
-- references_ingested_at), and a candidate's record sent again changes nothing there.
registrations as (

    select
        {{ pipeline.json_value('payload', 'candidate_id') }} as candidate_id,
        min(ingested_at) as first_ingested_at
    from {{ source('elections', 'elections_candidates') }}
    group by 1

),

final as (

    select
        candidates.candidate_id,

        candidates.candidate_name,
        candidates.party,
        candidates.biography,
        candidates.photo_url,

        candidates.kafka_ts as updated_at,
        -- When this version of the record reached the warehouse.
        candidates.ingested_at,
        registrations.first_ingested_at

    from candidates
    inner join registrations
        on candidates.candidate_id = registrations.candidate_id

)

select * from final
