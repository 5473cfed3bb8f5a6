"""Adapters: the narrow seam between Mason and a warehouse."""
