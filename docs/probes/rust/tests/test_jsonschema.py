import rpds
m = rpds.HashTrieMap({"a": 1}).insert("b", 2)
print("rpds:", m, m.get("b"), rpds.List([1, 2, 3]).push_front(0), rpds.HashTrieSet([1, 2]) | rpds.HashTrieSet([3]))
try:
    rpds.HashTrieMap().remove("missing")
except KeyError as e:
    print("KeyError from Rust ok:", e)

import jsonschema
schema = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0},
                   "tags": {"type": "array", "items": {"$ref": "#/$defs/tag"}}},
    "required": ["name"],
    "$defs": {"tag": {"type": "string", "pattern": "^[a-z]+$"}},
}
jsonschema.validate({"name": "kiln", "age": 1, "tags": ["wasm", "rust"]}, schema)
print("valid document ok")
errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors({"age": -1, "tags": ["Bad"]}), key=str)
for e in errors:
    print("error:", list(e.absolute_path), e.message)
assert len(errors) == 3
print("jsonschema", jsonschema.__version__ if hasattr(jsonschema, "__version__") else "", "OK")
