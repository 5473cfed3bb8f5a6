{{ sqlgen.union_relations([ref('raw_orders'), ref('raw_refunds')], exclude=['_loaded_at', 'ordered_at']) }}
