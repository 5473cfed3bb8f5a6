-- Every order's amount must equal the sum of its payments.
with payments as (

    select order_id, sum(amount) as paid
    from {{ ref('stg_payments') }}
    group by order_id

)

select orders.order_id, orders.amount, payments.paid
from {{ ref('orders') }} as orders
left join payments on orders.order_id = payments.order_id
where orders.amount != coalesce(payments.paid, 0)
