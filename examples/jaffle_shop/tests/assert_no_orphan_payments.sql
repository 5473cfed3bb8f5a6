{{ config(tags=['integrity'], severity='error') }}

select payments.payment_id
from {{ ref('stg_payments') }} as payments
left join {{ ref('stg_orders') }} as orders
    on payments.order_id = orders.order_id
where orders.order_id is null
