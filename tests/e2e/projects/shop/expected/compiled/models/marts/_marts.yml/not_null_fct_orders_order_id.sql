
    
    



select order_id
from "shop"."main_marts"."fct_orders"
where order_id is null


