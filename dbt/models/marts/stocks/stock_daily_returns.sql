-- Close-to-close return per symbol, series and trading day (null on a series' first day).
with

daily as (

    select * from {{ ref('fct_stock_daily_prices') }}

),

final as (

    select
        daily_price_id,
        symbol,
        series,

        close_price,
        lag(close_price) over (partition by symbol, series order by trading_date) as previous_close_price,
        close_price / lag(close_price) over (partition by symbol, series order by trading_date) - 1 as daily_return,

        trading_date

    from daily

)

select * from final
