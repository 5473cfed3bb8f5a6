{{ config(materialized='table') }}

select cast(date_day as date) as date_day
from (
    {{ dbt.date_spine('day', "cast('2018-01-01' as date)", "cast('2018-12-31' as date)") }}
) as spine
