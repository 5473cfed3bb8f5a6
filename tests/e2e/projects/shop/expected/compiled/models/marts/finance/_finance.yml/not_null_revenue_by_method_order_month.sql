
    
    



select order_month
from "shop"."main_marts"."revenue_by_method"
where order_month is null


