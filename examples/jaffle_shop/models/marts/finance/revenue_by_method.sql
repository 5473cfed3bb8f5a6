{{ config(materialized='table') }}

{%- set methods = get_payment_methods() %}

select
    cast(date_trunc('month', order_date) as date) as order_month,
    {% for payment_method in methods -%}
    sum({{ payment_method }}_amount) as {{ payment_method }}_revenue,
    {% endfor -%}
    sum(amount) as total_revenue

from {{ ref('shop', 'orders') }}
group by 1
