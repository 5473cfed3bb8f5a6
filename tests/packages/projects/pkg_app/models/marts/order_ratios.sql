select
    order_id,
    {{ sqlgen.safe_divide('amount', 'quantity') }} as amount_per_item,
    {{ calendar.day_name('ordered_at') }} as order_day
from {{ ref('stg_orders') }}
