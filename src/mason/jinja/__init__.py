"""Jinja as dbt users write it: the environment, contexts, dispatch and the built-in macro library."""
