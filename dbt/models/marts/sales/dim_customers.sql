-- One row per Superstore customer. A customer orders to many addresses, so the address lives
-- on dim_orders, not here. Name and segment are taken from the customer's first line.
with

order_lines as (

    select * from {{ ref('stg_sales__order_lines') }}

),

first_line as (

    {{ pipeline.deduplicate('order_lines', 'customer_id', 'row_id') }}

),

final as (

    select
        customer_id,

        customer_name,
        segment

    from first_line

)

select * from final
