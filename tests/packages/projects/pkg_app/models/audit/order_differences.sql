{{ relcompare.compare_relations(ref('stg_orders'), ref('orders_v2'), primary_key='order_id', summarize=false) }}
