
    
    



select customer_id
from "shop"."main_marts"."orders"
where customer_id is null


