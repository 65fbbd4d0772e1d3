-- One row per (symbol, ts): the latest record by Kafka position wins (a corrected quote
-- replaces the first one). Records of a symbol share a key prefix, not a key, so ties across
-- partitions are broken by the Kafka timestamp first.
with

source as (

    select * from {{ source('stocks', 'stocks_prices') }}

),

typed as (

    select
        {{ pipeline.json_value('payload', 'symbol') }} as symbol,

        {{ pipeline.json_value('payload', 'source') }} as price_source,

        {{ pipeline.json_value('payload', 'price', 'numeric') }} as price,
        {{ pipeline.json_value('payload', 'volume', 'integer') }} as volume,

        {{ pipeline.json_timestamp_utc('payload', 'ts') }} as priced_at,

        {{ pipeline.kafka_position_columns() }},
        {{ pipeline.to_utc('kafka_ts') }} as kafka_ts,
        ingested_at

    from source

),

latest as (

    {{ pipeline.deduplicate('typed', 'symbol, priced_at', 'kafka_ts desc, kafka_partition desc, kafka_offset desc') }}

)

select
    {{ pipeline.surrogate_key(['symbol', 'priced_at']) }} as price_id,
    symbol,
    price_source,
    price,
    volume,
    priced_at,
    kafka_topic,
    kafka_partition,
    kafka_offset,
    kafka_ts,
    ingested_at
from latest
