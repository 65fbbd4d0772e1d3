-- Daily OHLC per symbol and series from the price observations (ticks, or one monthly close a
-- day). series keeps generated prices (price_source 'generator') apart from real ones (the
-- monthly file, a quotes API, uploads), so made-up ticks never continue a real history.
-- open/close are the first/last price of the UTC day by observation time.
-- Incremental: each run recomputes only the (symbol, day) pairs that received new prices,
-- from all of that day's prices, and replaces them (unique key daily_price_id).
{{
    config(
        unique_key='daily_price_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail'
    )
}}

with

prices as (

    select
        symbol,
        case when price_source = 'generator' then 'generated' else 'real' end as series,
        price,
        volume,
        priced_at,
        {{ pipeline.truncate_to_date('day', 'priced_at') }} as trading_date,
        ingested_at
    from {{ ref('stg_stocks__prices') }}

),

{% if is_incremental() %}
touched_days as (

    select distinct symbol, series, trading_date
    from prices
    where ingested_at > (select coalesce(max(last_ingested_at), cast('1970-01-01' as {{ dbt.type_timestamp() }})) from {{ this }})

),
{% endif %}

ordered as (

    select
        prices.*,
        row_number() over (partition by prices.symbol, prices.series, prices.trading_date order by prices.priced_at) as rank_from_open,
        row_number() over (partition by prices.symbol, prices.series, prices.trading_date order by prices.priced_at desc) as rank_from_close
    from prices
    {% if is_incremental() %}
    inner join touched_days
        on prices.symbol = touched_days.symbol
        and prices.series = touched_days.series
        and prices.trading_date = touched_days.trading_date
    {% endif %}

),

final as (

    select
        {{ pipeline.surrogate_key(['symbol', 'series', 'trading_date']) }} as daily_price_id,
        symbol,
        series,

        max(case when rank_from_open = 1 then price end) as open_price,
        max(price) as high_price,
        min(price) as low_price,
        max(case when rank_from_close = 1 then price end) as close_price,
        sum(volume) as volume,
        count(*) as price_count,

        trading_date,
        max(ingested_at) as last_ingested_at

    from ordered
    group by symbol, series, trading_date

)

select * from final
