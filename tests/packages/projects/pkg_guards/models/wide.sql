select {{ guards.column_list(ref('codes'), except=['email']) }}
from {{ ref('codes') }}
