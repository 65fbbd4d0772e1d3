-- Simple moving averages of the close over the last N trading days of a symbol's series (vars
-- short_/long_moving_average_periods, 7 and 30); null until a symbol has N days. Rounded to
-- the portable numeric type (28 digits, 6 decimals).
{% set short_periods = var('short_moving_average_periods') %}
{% set long_periods = var('long_moving_average_periods') %}

with

daily as (

    select * from {{ ref('fct_stock_daily_prices') }}

),

windowed as (

    select
        daily_price_id,
        symbol,
        series,
        close_price,
        trading_date,
        row_number() over (partition by symbol, series order by trading_date) as day_number,
        avg(close_price) over (
            partition by symbol, series order by trading_date
            rows between {{ short_periods - 1 }} preceding and current row
        ) as short_average,
        avg(close_price) over (
            partition by symbol, series order by trading_date
            rows between {{ long_periods - 1 }} preceding and current row
        ) as long_average
    from daily

),

final as (

    select
        daily_price_id,
        symbol,
        series,

        close_price,
        case when day_number >= {{ short_periods }} then cast(short_average as {{ dbt.type_numeric() }}) end as moving_average_short,
        case when day_number >= {{ long_periods }} then cast(long_average as {{ dbt.type_numeric() }}) end as moving_average_long,

        trading_date

    from windowed

)

select * from final
