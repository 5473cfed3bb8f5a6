select id as order_id, customer_id, cast(order_date as date) as order_date, status,
       cast(amount_cents / 100.0 as numeric(12, 2)) as amount
from {{ ref('raw_orders') }}
