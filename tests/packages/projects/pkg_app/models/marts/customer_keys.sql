select
    customer_id,
    {{ sqlgen.generate_surrogate_key(['customer_id', 'country']) }} as customer_key,
    {{ dbt.concat(['first_name', "' '", 'last_name']) }} as full_name
from {{ ref('raw_customers') }}
