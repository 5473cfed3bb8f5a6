select
    customers.customer_id,
    customers.first_name || ' ' || customers.last_name as full_name,
    customers.number_of_orders,
    segments.segment

from "shop"."main_marts"."customers" as customers
left join "shop"."main_marts"."segments" as segments
    on customers.customer_id = segments.customer_id