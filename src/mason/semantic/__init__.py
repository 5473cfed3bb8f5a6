"""The semantic layer: metrics defined once in YAML (dbt's current spec and the older `calculation_method`
one) as one graph (`graph.py`), and metric queries compiled to the warehouse's SQL (`sql.py`)."""
