{{ relcompare.compare_relation_columns(ref('raw_orders'), ref('orders_v2')) }}
