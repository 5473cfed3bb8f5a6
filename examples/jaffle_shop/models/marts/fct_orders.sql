{{
    config(
        materialized='incremental',
        unique_key='order_id',
        incremental_strategy='merge',
        on_schema_change='fail'
    )
}}

select
    order_id,
    customer_id,
    order_date,
    status,
    amount,
    payment_count

from {{ ref('orders') }}

{% if is_incremental() %}
where order_date > (select max(order_date) - interval '{{ var("lookback_days") }} days' from {{ this }})
{% endif %}
