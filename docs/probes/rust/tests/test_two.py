import pyo3demo, pyo3demo2, rpds, jsonschema
def panic_of(mod, msg):
    try:
        mod.explode(msg)
    except BaseException as e:
        return e
e1 = panic_of(pyo3demo, "one"); e2 = panic_of(pyo3demo2, "two"); e3 = panic_of(pyo3demo, "three")
print("types:", type(e1), type(e2), "same class:", type(e1) is type(e2))
print("msgs:", e1, e2, e3, "drops:", pyo3demo.drops_seen(), pyo3demo2.drops_seen())
print("counters:", pyo3demo.Counter(2).bump(), pyo3demo2.Counter(3).bump())
print("rpds after panics:", rpds.HashTrieMap({"x": 1}).insert("y", 2))
jsonschema.validate({"a": [1, 2]}, {"type": "object", "properties": {"a": {"type": "array", "items": {"type": "integer"}}}})
print("jsonschema after panics ok")
try:
    pyo3demo2.checked_div(1, 0)
except pyo3demo2.DemoError as e:
    print("demo2 error class distinct:", pyo3demo2.DemoError is not pyo3demo.DemoError, e)
