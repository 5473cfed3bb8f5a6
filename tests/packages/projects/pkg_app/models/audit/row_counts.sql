{{ relcompare.compare_row_counts(ref('stg_orders'), ref('orders_v2')) }}
