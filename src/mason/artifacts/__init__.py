"""Stage 6 (artifacts): dbt's JSON artifacts, written atomically, with secrets scrubbed."""
