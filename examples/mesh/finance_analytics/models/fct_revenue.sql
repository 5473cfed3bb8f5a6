select o.customer_id,
       cast(date_trunc('month', o.order_date) as date) as revenue_month,
       sum(o.amount) as revenue
from {{ ref('core_data', 'fct_orders') }} as o
where o.status = 'completed'
group by 1, 2
