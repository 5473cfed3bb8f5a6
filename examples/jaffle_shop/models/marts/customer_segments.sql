{{ config(
    materialized='view',
    alias='segments',
    tags=['segmentation'],
    meta={'owner': 'marketing-team'}
) }}

select
    customer_id,
    case
        when number_of_orders = 0 then 'prospect'
        when number_of_orders = 1 then 'one_time'
        else 'repeat'
    end as segment,
    customer_lifetime_value

from {{ ref('customers') }}
