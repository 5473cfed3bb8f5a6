select id as customer_id, first_name, last_name, region
from {{ ref('raw_customers') }}
