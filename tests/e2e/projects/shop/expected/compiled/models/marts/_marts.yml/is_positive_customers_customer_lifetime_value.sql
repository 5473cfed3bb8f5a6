

select *
from (select * from "shop"."main_marts"."customers" where number_of_orders > 0) dbt_subquery
where customer_lifetime_value <= 0

