select customer_id, first_name, last_name, region
from {{ ref('stg_customers') }}
