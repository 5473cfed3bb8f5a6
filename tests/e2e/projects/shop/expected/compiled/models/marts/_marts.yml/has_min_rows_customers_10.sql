

with row_count as (
    select count(*) as n from "shop"."main_marts"."customers"
)
select n from row_count where n < 10

