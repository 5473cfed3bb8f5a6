
    
    



select number_of_orders
from "shop"."main_marts"."customers"
where number_of_orders is null


