select c.region, r.revenue_month, sum(r.revenue) as revenue
from {{ ref('fct_revenue') }} as r
join {{ ref('core_data', 'dim_customers') }} as c on c.customer_id = r.customer_id
group by 1, 2
