select region, sum(revenue) as revenue
from {{ ref('revenue_by_region') }}
group by 1
