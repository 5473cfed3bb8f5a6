-- version 2 (the latest): no dim_customers_v2.sql, so this file is it (as dbt 1.11)
select customer_id, first_name || ' ' || last_name as full_name, region
from {{ ref('stg_customers') }}
