{{ config(tags=['calendar']) }}

with spine as (
    {{ dbt.date_spine(
        'day',
        "cast('" ~ var('calendar_start_date') ~ "' as date)",
        "cast('" ~ var('calendar_end_date') ~ "' as date)"
    ) }}
), days as (
    select cast(date_day as date) as date_day from spine
)
select
    date_day,
    cast(extract(year from date_day) as integer) as year_number,
    cast(extract(month from date_day) as integer) as month_number,
    cast(extract(day from date_day) as integer) as day_of_month,
    {{ calendar.day_name('date_day') }} as day_name,
    {{ calendar.iso_week_start('date_day') }} as week_start,
    cast({{ dbt.last_day('date_day', 'month') }} as date) as month_end,
    {{ calendar.fiscal_quarter('date_day') }} as fiscal_quarter,
    {{ dbt.datediff("cast('" ~ var('calendar_start_date') ~ "' as date)", 'date_day', 'day') }} as day_index
from days
