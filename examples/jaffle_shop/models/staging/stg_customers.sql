-- depends_on: {{ ref('raw_customers') }}
with source as (

    select * from {{ source('jaffle', 'raw_customers') }}

),

renamed as (

    select
        id as customer_id,
        first_name,
        last_name

    from source

)

select * from renamed
