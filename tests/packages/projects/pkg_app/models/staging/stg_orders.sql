{{ config(materialized='view') }}

select {{ sqlgen.star(ref('raw_orders'), except=['_loaded_at']) }}
from {{ ref('raw_orders') }}
