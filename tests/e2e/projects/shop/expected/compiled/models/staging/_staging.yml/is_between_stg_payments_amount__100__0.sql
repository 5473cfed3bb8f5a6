

select amount as out_of_range_value
from "shop"."main"."stg_payments"
where amount < 0
   or amount > 100

