
    
    

with all_values as (

    select
        report_currency as value_field,
        count(*) as n_records

    from "shop"."main"."report_settings"
    group by report_currency

)

select *
from all_values
where value_field not in (
    'USD','EUR'
)


