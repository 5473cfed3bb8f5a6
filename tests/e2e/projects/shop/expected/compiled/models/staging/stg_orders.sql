-- depends_on: "shop"."main"."raw_orders"
with source as (

    select * from "shop"."main"."raw_orders"

),

renamed as (

    select
        id as order_id,
        user_id as customer_id,
        order_date,
        status

    from source
    where order_date >= '2018-01-01'

)

select * from renamed