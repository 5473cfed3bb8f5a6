{%- set statuses = sqlgen.get_column_values(ref('stg_orders'), 'status', order_by='status') -%}
select
    customer_id,
    {{ sqlgen.pivot('status', statuses, then_value='amount', else_value=0, prefix='amt_') }}
from {{ ref('stg_orders') }}
group by customer_id
