-- depends_on: "shop"."main"."raw_payments"
with source as (

    select * from "shop"."main"."raw_payments"

),

renamed as (

    select
        id as payment_id,
        order_id,
        payment_method,
        amount as amount_cents,
        cast(amount / 100.0 as decimal(16, 2)) as amount

    from source

)

select * from renamed