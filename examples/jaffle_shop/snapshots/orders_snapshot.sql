{% snapshot orders_snapshot %}

{{
    config(
      unique_key='order_id',
      strategy='timestamp',
      updated_at='updated_at',
    )
}}

select
    order_id,
    customer_id,
    status,
    cast(order_date as timestamp) as updated_at

from {{ ref('stg_orders') }}

{% endsnapshot %}
