{{ config(materialized='ephemeral') }}

select
    o.order_id,
    {{ sqlgen.generate_surrogate_key(['o.order_id', 'o.customer_id']) }} as order_key,
    {{ sqlgen.star(ref('stg_orders'), except=['order_id'], relation_alias='o', prefix='order_') }}
from {{ ref('stg_orders') }} as o
