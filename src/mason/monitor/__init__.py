"""Monitoring (docs/monitoring.md): the run history Mason writes into the warehouse (`history.py`, read back by
`report.py` for `mason history`), the anomaly tests (`macros/anomalies.sql`, package `mason`, with
`metric_series.py` for `metric_anomalies`) and alerts on failures (`alerts.py`, delivered by `deliver.py`).
`mason.api.monitor` calls it after every run-like command; nothing here may fail a run."""
