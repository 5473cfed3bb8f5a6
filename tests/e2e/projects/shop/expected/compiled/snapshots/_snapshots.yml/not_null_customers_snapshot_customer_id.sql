
    
    



select customer_id
from "shop"."main_snapshots"."customers_snapshot"
where customer_id is null


