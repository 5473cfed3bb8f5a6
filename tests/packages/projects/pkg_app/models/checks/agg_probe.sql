select
    customer_id,
    {{ dbt.listagg('status', "','", "order by status") }} as statuses,
    {{ dbt.bool_or('amount > 50') }} as any_big,
    {{ dbt.any_value('customer_id') }} as some_customer,
    count(*) as n
from {{ ref('stg_orders') }}
group by customer_id
