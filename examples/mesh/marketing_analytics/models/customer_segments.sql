select c.customer_id, c.full_name, c.region,
       case when coalesce(sum(r.revenue), 0) >= 50 then 'high' else 'standard' end as segment
from {{ ref('core_data', 'dim_customers') }} as c
left join {{ ref('finance_analytics', 'fct_revenue') }} as r on r.customer_id = c.customer_id
group by 1, 2, 3
