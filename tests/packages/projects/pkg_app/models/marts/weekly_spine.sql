{{ sqlgen.date_spine('week', "cast('2024-01-01' as date)", "cast('2024-02-01' as date)") }}
