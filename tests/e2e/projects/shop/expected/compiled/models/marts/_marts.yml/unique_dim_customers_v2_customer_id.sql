
    
    

select
    customer_id as unique_field,
    count(*) as n_records

from "shop"."main_marts"."dim_customers_v2"
where customer_id is not null
group by customer_id
having count(*) > 1


