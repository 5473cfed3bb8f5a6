{{ config(
    materialized='swap_table',
    persist_docs={'relation': true, 'columns': true},
    pre_hook=["insert into {{ target.schema }}.hook_log values ('{{ this.name }}', 'pre', (select count(*) from {{ target.schema }}.hook_log))"],
    post_hook=[
        "insert into {{ target.schema }}.hook_log values ('{{ this.name }}', 'post', (select count(*) from {{ this }}))",
        {"sql": "insert into {{ target.schema }}.hook_log values ('{{ this.name }}', 'after_commit', (select count(*) from {{ target.schema }}.hook_log))", "transaction": false},
    ],
) }}
select customer_id, count(*) as orders, sum(amount) as total_amount
from {{ ref('stg_orders') }}
group by customer_id
