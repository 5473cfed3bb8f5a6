

select
    order_id,
    customer_id,
    order_date,
    status,
    amount,
    payment_count

from "shop"."main_marts"."orders"


where order_date > (select max(order_date) - interval '3 days' from "shop"."main_marts"."fct_orders")
