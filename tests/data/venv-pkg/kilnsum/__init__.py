"""Sums in C (a kiln test fixture)."""

from ._native import pointer_bits, total

__all__ = ["pointer_bits", "total"]
