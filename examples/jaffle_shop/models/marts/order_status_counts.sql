{{ config(
    pre_hook="select 1 as pre_hook_ran",
    post_hook=[
        "drop table if exists {{ this.schema }}.order_status_counts_audit",
        "create table {{ this.schema }}.order_status_counts_audit as select count(*) as row_count from {{ this }}"
    ]
) }}

select
    status,
    count(*) as order_count,
    sum(amount) as total_amount

from {{ ref('orders') }}
group by status
