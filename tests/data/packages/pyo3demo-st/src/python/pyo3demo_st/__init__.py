from ._native import fib, must_be_even

__all__ = ["fib", "must_be_even"]
