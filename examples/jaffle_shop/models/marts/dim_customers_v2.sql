select
    customers.customer_id,
    customers.first_name || ' ' || customers.last_name as full_name,
    customers.number_of_orders,
    segments.segment

from {{ ref('customers') }} as customers
left join {{ ref('customer_segments') }} as segments
    on customers.customer_id = segments.customer_id
