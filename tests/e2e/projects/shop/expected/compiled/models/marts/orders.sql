with  __dbt__cte__int_order_payments as (
with payments as (

    select * from "shop"."main"."stg_payments"

)

select
    order_id,
    sum(case when payment_method = 'bank_transfer' then amount else 0 end) as bank_transfer_amount,
    sum(case when payment_method = 'coupon' then amount else 0 end) as coupon_amount,
    sum(case when payment_method = 'credit_card' then amount else 0 end) as credit_card_amount,
    sum(case when payment_method = 'gift_card' then amount else 0 end) as gift_card_amount,
    count(*) as payment_count,
    sum(amount) as total_amount

from payments
group by order_id
), orders as (

    select * from "shop"."main"."stg_orders"

),

order_payments as (

    select * from __dbt__cte__int_order_payments

)

select
    orders.order_id,
    orders.customer_id,
    orders.order_date,
    orders.status,
    coalesce(order_payments.bank_transfer_amount, 0) as bank_transfer_amount,
    coalesce(order_payments.coupon_amount, 0) as coupon_amount,
    coalesce(order_payments.credit_card_amount, 0) as credit_card_amount,
    coalesce(order_payments.gift_card_amount, 0) as gift_card_amount,
    coalesce(order_payments.payment_count, 0) as payment_count,
    coalesce(order_payments.total_amount, 0) as amount

from orders
left join order_payments
    on orders.order_id = order_payments.order_id