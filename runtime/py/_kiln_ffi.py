"""_kiln_ffi: the Python half of kiln's JavaScript <-> Python bridge.

Its two halves are modules of their own: `_kiln_jsproxy` (JavaScript values in Python: the
JsProxy classes, chosen by what a JS value can do, and awaiting a promise) and
`_kiln_pyproxy` (Python objects in JavaScript: what a PyProxy needs of Python). This module
holds what belongs to neither: the conversions' own types (`jsnull`, `JsBigInt`, the
errors), `to_js`, JavaScript objects imported as modules (`register_js_module`), and the
hand-over of the helpers the JS side keeps (`_kiln_js.set_helpers`). Importing it sets the
bridge up; every public name of the two halves is importable from here (`pyodide.ffi`,
`pyodide.http` and `js` import from here).
"""

import _kiln
import _kiln_js
import sys

from _kiln_jsproxy import *  # noqa: F403  (the halves' public names stay this module's)
from _kiln_jsproxy import (
    JsProxy, _call_returned_promise, _jsproxy_class, _module_specs, _new_jsexception,
    _settle_future,
)
from _kiln_pyproxy import *  # noqa: F403
from _kiln_pyproxy import _awaitable_then, _pyproxy_flags


class ConversionError(Exception):
    """A value could not be converted between JavaScript and Python."""


class InternalError(Exception):
    """A recoverable internal error of the bridge."""


class JsNull:
    """The type of jsnull, JavaScript's null."""

    __slots__ = ()
    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self):
        return "jsnull"

    def __bool__(self):
        return False


jsnull = JsNull()


class JsBigInt(int):
    """An int that converts to a JavaScript BigInt (what a BigInt converts to)."""

    __slots__ = ()

    def __repr__(self):
        return int.__repr__(self)

    def __neg__(self):
        return JsBigInt(-int(self))

    def __pos__(self):
        return self

    def __abs__(self):
        return JsBigInt(abs(int(self)))

    def __invert__(self):
        return JsBigInt(~int(self))

    def __mul__(self, other):
        return JsBigInt(int(self) * other) if isinstance(other, int) else NotImplemented

    __rmul__ = __mul__

    def __floordiv__(self, other):
        return JsBigInt(int(self) // other) if isinstance(other, int) else NotImplemented

    def __mod__(self, other):
        return JsBigInt(int(self) % other) if isinstance(other, int) else NotImplemented

    def __pow__(self, other, modulus=None):
        return JsBigInt(pow(int(self), other, modulus)) if isinstance(other, int) else NotImplemented

    def __lshift__(self, other):
        return JsBigInt(int(self) << other)

    def __rshift__(self, other):
        return JsBigInt(int(self) >> other)


def to_js(obj, /, *, depth=-1, pyproxies=None, create_pyproxies=True, dict_converter=None,
          default_converter=None, eager_converter=None):
    """Converts `obj` to JavaScript, deeply (lists and tuples → Array, dict → Object,
    set → Set, buffers → typed arrays); see docs/runtime.md. An object that can be passed
    implicitly comes back unchanged."""
    return _kiln_js.to_js(obj, depth, pyproxies, create_pyproxies, dict_converter,
                          default_converter, eager_converter)


def _type_name(t):
    module = getattr(t, "__module__", "builtins")
    return t.__qualname__ if module in ("builtins", "__main__") else f"{module}.{t.__qualname__}"


class _JsModuleFinder:
    """Finds the JS objects registered as modules (registerJsModule) and their attributes
    as submodules (`import mod.sub`)."""

    def __init__(self):
        self.modules = {}
        # js_id of each JS object imported as a module → its spec (JsProxy reads it there).
        self.specs = _module_specs

    def find_spec(self, fullname, path=None, target=None):
        root, _, rest = fullname.partition(".")
        if root not in self.modules:
            return None
        obj = self.modules[root]
        for part in rest.split(".") if rest else ():
            try:
                obj = getattr(obj, part)
            except AttributeError:
                return None
        from importlib.machinery import ModuleSpec

        return ModuleSpec(fullname, self, origin="javascript", is_package=True)

    def create_module(self, spec):
        root, _, rest = spec.name.partition(".")
        obj = self.modules[root]
        for part in rest.split(".") if rest else ():
            obj = getattr(obj, part)
        if isinstance(obj, JsProxy):
            self.specs[obj.js_id] = spec
        return obj

    def exec_module(self, module):
        pass


_finder = _JsModuleFinder()


def register_js_module(name, jsproxy):
    """Makes `import name` give the JS object `jsproxy`."""
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
    _finder.modules[name] = jsproxy
    sys.modules.pop(name, None)


def unregister_js_module(name):
    """Undoes register_js_module (modules already imported keep their value)."""
    if _finder.modules.pop(name, None) is None:
        raise ValueError(f"Cannot unregister {name!r}: no JavaScript module with that name is registered")
    sys.modules.pop(name, None)
    for key in [k for k in sys.modules if k.startswith(name + ".")]:
        del sys.modules[key]


# The public classes are pyodide.ffi's (their names in tracebacks and reprs say so).
for _cls in (ConversionError, InternalError, JsNull, JsBigInt):
    _cls.__module__ = "pyodide.ffi"
del _cls

# The bridge's JS side keeps these objects for its conversions.
_kiln_js.set_helpers(
    format_exception=_kiln.format_exception,
    awaitable_then=_awaitable_then,
    aiter=aiter,
    jsnull=jsnull,
    JsBigInt=JsBigInt,
    jsproxy_class=_jsproxy_class,
    new_jsexception=_new_jsexception,
    settle_future=_settle_future,
    call_returned_promise=_call_returned_promise,
    pyproxy_flags=_pyproxy_flags,
    type_name=_type_name,
    ConversionError=ConversionError,
)
