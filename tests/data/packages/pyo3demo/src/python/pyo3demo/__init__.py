from ._pyo3demo import Counter, DemoError, add, checked_div, drops_seen, explode, sum_list

__all__ = ["Counter", "DemoError", "add", "checked_div", "drops_seen", "explode", "sum_list"]
