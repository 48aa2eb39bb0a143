from ._cmake_ext import probes, throws

__all__ = ["probes", "throws"]
