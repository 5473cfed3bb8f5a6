

select
    order_id,
    customer_id,
    order_date,
    status,
    amount,
    payment_count

from "shop"."main_marts"."orders"

