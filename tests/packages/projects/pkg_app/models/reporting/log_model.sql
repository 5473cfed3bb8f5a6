{{ config(materialized='append_log', run_label=var('run_label', 'first'), on_schema_change='append_new_columns') }}
select order_id, status
{%- if var('run_label', 'first') == 'second' %}, amount{% endif %}
from {{ ref('stg_orders') }}
where order_id <= 2
