-- Revenue and profit by region (of the order), product category and order month.
with

order_lines as (

    select * from {{ ref('fct_order_lines') }}

),

orders as (

    select * from {{ ref('dim_orders') }}

),

products as (

    select * from {{ ref('dim_products') }}

),

final as (

    select
        {{ pipeline.surrogate_key(['orders.region', 'products.category', pipeline.truncate_to_date('month', 'order_lines.order_date')]) }} as sales_month_id,

        orders.region,
        products.category,

        count(*) as order_lines,
        count(distinct order_lines.order_id) as orders,
        sum(order_lines.quantity) as quantity,
        sum(order_lines.sales) as revenue,
        sum(order_lines.profit) as profit,

        {{ pipeline.truncate_to_date('month', 'order_lines.order_date') }} as order_month

    from order_lines
    inner join orders
        on order_lines.order_id = orders.order_id
    inner join products
        on order_lines.product_key = products.product_key
    group by
        orders.region,
        products.category,
        {{ pipeline.truncate_to_date('month', 'order_lines.order_date') }}

)

select * from final
