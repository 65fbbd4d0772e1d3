-- One row per voter (login.uuid): the latest version by Kafka position. The payload is a
-- randomuser.me result item, so most fields are nested (name.first, location.city, dob.age…).
with

source as (

    select * from {{ source('elections', 'elections_voters') }}

),

typed as (

    -- The typed columns (macros/elections.sql), shared with the incremental models.
    {{ pipeline.elections_typed_voters('source') }}

),

latest as (

    {{ pipeline.deduplicate('typed', 'voter_id', 'kafka_partition desc, kafka_offset desc') }}

)

select
    voter_id,
    username,
    gender,
    title,
    first_name,
    last_name,
    email,
    phone,
    cell,
    nationality,
    street_number,
    street_name,
    city,
    state,
    country,
    postcode,
    age,
    years_registered,
    born_at,
    registered_at,
    kafka_topic,
    kafka_partition,
    kafka_offset,
    kafka_ts,
    ingested_at
from latest
