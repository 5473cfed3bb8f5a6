{{ relcompare.compare_relations(ref('stg_orders'), ref('orders_v2'), exclude_columns=['ordered_at'],
                                primary_key='order_id') }}
