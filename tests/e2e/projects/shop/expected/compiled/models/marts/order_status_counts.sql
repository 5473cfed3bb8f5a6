

select
    status,
    count(*) as order_count,
    sum(amount) as total_amount

from "shop"."main_marts"."orders"
group by status