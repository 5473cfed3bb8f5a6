

select payments.payment_id
from "shop"."main"."stg_payments" as payments
left join "shop"."main"."stg_orders" as orders
    on payments.order_id = orders.order_id
where orders.order_id is null