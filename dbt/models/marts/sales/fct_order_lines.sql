-- One row per order line (Row ID). Incremental: each run takes the lines ingested after the
-- newest held (a load's rows share its ingested_at and become visible together: see
-- incremental_watermark); staging already keeps one record per Row ID, and delete+insert on
-- row_id makes a repeated batch a no-op.
{{
    config(
        unique_key='row_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail'
    )
}}

with

order_lines as (

    select * from {{ ref('stg_sales__order_lines') }}

    {% if is_incremental() %}
    where ingested_at > (select coalesce(max(ingested_at), cast('1970-01-01' as {{ dbt.type_timestamp() }})) from {{ this }})
    {% endif %}

),

final as (

    select
        row_id,
        order_id,
        customer_id,
        {{ pipeline.surrogate_key(['product_id', 'product_name']) }} as product_key,

        sales,
        quantity,
        discount,
        profit,

        order_date,
        ingested_at

    from order_lines

)

select * from final
