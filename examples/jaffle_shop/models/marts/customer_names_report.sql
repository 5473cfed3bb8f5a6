select
    latest.customer_id,
    latest.full_name,
    legacy.last_name,
    latest.segment

from {{ ref('dim_customers') }} as latest
inner join {{ ref('dim_customers', v=1) }} as legacy
    on latest.customer_id = legacy.customer_id
