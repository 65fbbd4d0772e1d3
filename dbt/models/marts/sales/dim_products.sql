-- One row per (Product ID, Product Name). 32 Superstore product IDs carry two names (the file
-- reuses IDs across different products), so the key is the pair, hashed into product_key;
-- `names_for_product_id` flags the shared IDs.
with

order_lines as (

    select * from {{ ref('stg_sales__order_lines') }}

),

keyed as (

    select
        {{ pipeline.surrogate_key(['product_id', 'product_name']) }} as product_key,
        order_lines.*
    from order_lines

),

first_line as (

    {{ pipeline.deduplicate('keyed', 'product_key', 'row_id') }}

),

final as (

    select
        product_key,
        product_id,

        product_name,
        category,
        sub_category,

        count(*) over (partition by product_id) as names_for_product_id

    from first_line

)

select * from final
