-- One row per voter (login.uuid): the latest version by Kafka position. The payload is a
-- randomuser.me result item, so most fields are nested (name.first, location.city, dob.age…).
with

source as (

    select * from {{ source('elections', 'elections_voters') }}

),

typed as (

    select
        {{ pipeline.json_value('payload', ['login', 'uuid']) }} as voter_id,

        {{ pipeline.json_value('payload', ['login', 'username']) }} as username,
        {{ pipeline.json_value('payload', 'gender') }} as gender,
        {{ pipeline.json_value('payload', ['name', 'title']) }} as title,
        {{ pipeline.json_value('payload', ['name', 'first']) }} as first_name,
        {{ pipeline.json_value('payload', ['name', 'last']) }} as last_name,
        {{ pipeline.json_value('payload', 'email') }} as email,
        {{ pipeline.json_value('payload', 'phone') }} as phone,
        {{ pipeline.json_value('payload', 'cell') }} as cell,
        {{ pipeline.json_value('payload', 'nat') }} as nationality,
        {{ pipeline.json_value('payload', ['location', 'street', 'number'], 'integer') }} as street_number,
        {{ pipeline.json_value('payload', ['location', 'street', 'name']) }} as street_name,
        {{ pipeline.json_value('payload', ['location', 'city']) }} as city,
        {{ pipeline.json_value('payload', ['location', 'state']) }} as state,
        {{ pipeline.json_value('payload', ['location', 'country']) }} as country,
        -- Numbers for some nationalities, strings for others: always text here.
        {{ pipeline.json_value('payload', ['location', 'postcode']) }} as postcode,

        {{ pipeline.json_value('payload', ['dob', 'age'], 'integer') }} as age,
        {{ pipeline.json_value('payload', ['registered', 'age'], 'integer') }} as years_registered,

        {{ pipeline.json_timestamp_utc('payload', ['dob', 'date']) }} as born_at,
        {{ pipeline.json_timestamp_utc('payload', ['registered', 'date']) }} as registered_at,

        {{ pipeline.kafka_position_columns() }},
        {{ pipeline.to_utc('kafka_ts') }} as kafka_ts,
        ingested_at

    from source

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
