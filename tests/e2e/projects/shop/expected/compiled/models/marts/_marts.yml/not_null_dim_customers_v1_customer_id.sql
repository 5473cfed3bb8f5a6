
    
    



select customer_id
from "shop"."main_marts"."dim_customers_v1"
where customer_id is null


