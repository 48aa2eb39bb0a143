"""Datetime units through NumPy's C API (a kiln test fixture)."""

from ._units import long_size, unit

__all__ = ["long_size", "unit"]
