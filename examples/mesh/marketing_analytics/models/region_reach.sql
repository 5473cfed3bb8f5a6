select region, count(*) as customers
from {{ ref('core_data', 'dim_customers', v=2) }}
group by 1
