"""Fixtures shared by unit tests."""

from .runtime_harness import adapter, h

__all__ = ["adapter", "h"]
