

select amount as out_of_range_value
from (select * from "shop"."main_marts"."orders" where status != 'returned') dbt_subquery
where amount < 0
   or amount > 50

