{{ sqlgen.deduplicate(ref('status_history'), partition_by='order_id', order_by='changed_at desc') }}
