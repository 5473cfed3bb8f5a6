{%- set a_query = 'select order_id, amount from ' ~ ref('stg_orders') -%}
{%- set b_query = 'select order_id, amount from ' ~ ref('orders_v2') -%}
{{ relcompare.compare_column_values(a_query, b_query, 'order_id', 'amount') }}
