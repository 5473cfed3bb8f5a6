{{ config(enabled=false) }}

select * from {{ ref('orders') }} where status = 'legacy'
