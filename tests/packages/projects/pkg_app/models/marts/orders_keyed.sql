select * from {{ ref('int_orders_keyed') }}
