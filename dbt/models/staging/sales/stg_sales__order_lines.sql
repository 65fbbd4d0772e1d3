-- One row per Superstore order line (Row ID), the LATEST record by Kafka position: a corrected
-- row (same Row ID, new figures) replaces the first, and the file replayed twice changes nothing
-- (same figures). A Row ID is the key, hence one partition, so the offset orders its records.
-- Two lines in the file are identical except for their Row ID; distinct Row IDs, both kept.
with

source as (

    select * from {{ source('sales', 'sales_orders') }}

),

typed as (

    select
        {{ pipeline.json_value('payload', 'Row ID', 'integer') }} as row_id,
        {{ pipeline.json_value('payload', 'Order ID') }} as order_id,
        {{ pipeline.json_value('payload', 'Customer ID') }} as customer_id,
        {{ pipeline.json_value('payload', 'Product ID') }} as product_id,

        {{ pipeline.json_value('payload', 'Customer Name') }} as customer_name,
        {{ pipeline.json_value('payload', 'Segment') }} as segment,
        {{ pipeline.json_value('payload', 'Ship Mode') }} as ship_mode,
        {{ pipeline.json_value('payload', 'Country') }} as country,
        {{ pipeline.json_value('payload', 'City') }} as city,
        {{ pipeline.json_value('payload', 'State') }} as state,
        {{ pipeline.json_value('payload', 'Postal Code') }} as postal_code,
        {{ pipeline.json_value('payload', 'Region') }} as region,
        {{ pipeline.json_value('payload', 'Category') }} as category,
        {{ pipeline.json_value('payload', 'Sub-Category') }} as sub_category,
        {{ pipeline.json_value('payload', 'Product Name') }} as product_name,

        {{ pipeline.json_value('payload', 'Sales', 'numeric') }} as sales,
        {{ pipeline.json_value('payload', 'Quantity', 'integer') }} as quantity,
        {{ pipeline.json_value('payload', 'Discount', 'numeric') }} as discount,
        {{ pipeline.json_value('payload', 'Profit', 'numeric') }} as profit,

        {{ pipeline.json_value('payload', 'Order Date', 'date') }} as order_date,
        {{ pipeline.json_value('payload', 'Ship Date', 'date') }} as ship_date,

        {{ pipeline.kafka_position_columns() }},
        {{ pipeline.to_utc('kafka_ts') }} as kafka_ts,
        ingested_at

    from source

),

latest_record as (

    {{ pipeline.deduplicate('typed', 'row_id', 'kafka_ts desc, kafka_partition desc, kafka_offset desc') }}

)

select
    row_id,
    order_id,
    customer_id,
    product_id,
    customer_name,
    segment,
    ship_mode,
    country,
    city,
    state,
    postal_code,
    region,
    category,
    sub_category,
    product_name,
    sales,
    quantity,
    discount,
    profit,
    order_date,
    ship_date,
    kafka_topic,
    kafka_partition,
    kafka_offset,
    kafka_ts,
    ingested_at
from latest_record
