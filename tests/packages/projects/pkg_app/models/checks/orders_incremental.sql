{{ config(materialized='incremental', unique_key='order_id') }}
select {{ sqlgen.star(ref('stg_orders'), except=['ordered_at']) }}, '{{ var("run_label", "first") }}' as loaded_in
from {{ ref('stg_orders') }}
{% if is_incremental() %}
where order_id >= (select max(order_id) - 1 from {{ this }})
{% endif %}
