select
    latest.customer_id,
    latest.full_name,
    legacy.last_name,
    latest.segment

from "shop"."main_marts"."dim_customers_v2" as latest
inner join "shop"."main_marts"."dim_customers_v1" as legacy
    on latest.customer_id = legacy.customer_id