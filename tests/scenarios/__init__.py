"""Scenario tests: Mason's incremental, snapshot and microbatch results against recorded dbt-core results."""
