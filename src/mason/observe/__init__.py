"""Observability: typed events and the sinks that show or store them."""
