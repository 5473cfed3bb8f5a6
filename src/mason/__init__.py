"""Mason: a fast, open-source data build tool that runs ordinary dbt projects unchanged."""

__version__ = "0.1.0"
# The dbt-core version whose behaviour and artifacts Mason reproduces.
DBT_COMPAT_VERSION = "1.11.0"
