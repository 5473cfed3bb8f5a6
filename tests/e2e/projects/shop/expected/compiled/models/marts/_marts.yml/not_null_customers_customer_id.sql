
    
    



select customer_id
from "shop"."main_marts"."customers"
where customer_id is null


