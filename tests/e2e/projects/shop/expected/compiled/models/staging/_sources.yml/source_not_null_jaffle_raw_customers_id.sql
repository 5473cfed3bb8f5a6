
    
    



select id
from "shop"."main"."raw_customers"
where id is null


