import pyo3demo
print("before:", pyo3demo.add(1, 2))
try:
    pyo3demo.explode("with panic=abort")
except BaseException as e:
    print("caught", type(e), e)
print("after (never printed?)")
