with orders as (

    select * from {{ ref('stg_orders') }}

),

order_payments as (

    select * from {{ ref('int_order_payments') }}

)

select
    orders.order_id,
    orders.customer_id,
    orders.order_date,
    orders.status,
    {% for payment_method in get_payment_methods() -%}
    coalesce(order_payments.{{ payment_method }}_amount, 0) as {{ payment_method }}_amount,
    {% endfor -%}
    coalesce(order_payments.payment_count, 0) as payment_count,
    coalesce(order_payments.total_amount, 0) as amount

from orders
left join order_payments
    on orders.order_id = order_payments.order_id
