
    
    

select
    status as unique_field,
    count(*) as n_records

from "shop"."main_marts"."order_status_counts"
where status is not null
group by status
having count(*) > 1


