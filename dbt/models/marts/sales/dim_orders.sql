-- One row per order, with where it was shipped: the location belongs to the order (a
-- Superstore customer appears at many addresses). Taken from the order's first line.
with

order_lines as (

    select * from {{ ref('stg_sales__order_lines') }}

),

first_line as (

    {{ pipeline.deduplicate('order_lines', 'order_id', 'row_id') }}

),

final as (

    select
        order_id,
        customer_id,

        ship_mode,
        country,
        region,
        state,
        city,
        postal_code,

        order_date,
        ship_date

    from first_line

)

select * from final
