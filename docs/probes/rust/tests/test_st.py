import sys, traceback
import pyo3demo_st
from pyo3demo_st import Counter, DemoError, add, checked_div, drops_seen, explode, sum_list

print("add", add(2**40, 2**41), add(-5, 3))
print("sum_list", sum_list([0.5, 1.25, 2.0]))
c = Counter(step=5); c.bump(); c.bump()
print("counter", c, c.count)
try:
    checked_div(7, 0)
except DemoError as e:
    print("DemoError ok:", e, DemoError.__mro__)
print("div", checked_div(7, 2))
try:
    explode("kaboom")
except BaseException as e:
    print("panic ->", type(e).__module__, type(e).__name__, e, "| isinstance Exception:", isinstance(e, Exception))
print("drops while unwinding:", drops_seen())
try:
    explode("again")
except BaseException as e:
    print("second panic ->", type(e).__name__, e)
print("drops:", drops_seen())
print("still alive:", add(1, 1))
