
    
    



select id
from "shop"."main"."raw_orders"
where id is null


