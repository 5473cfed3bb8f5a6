{{ sqlgen.unpivot(ref('raw_customers'), cast_to=dbt.type_string(), exclude=['customer_id'], remove=['last_name'],
                  field_name='field_name', value_name='value') }}
