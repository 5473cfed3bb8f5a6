select {{ sqlgen.star(source('shop', 'raw_customers'), except=['last_name']) }}
from {{ source('shop', 'raw_customers') }}
