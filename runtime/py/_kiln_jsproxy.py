"""_kiln_jsproxy: JavaScript values in Python, the JsProxy classes (one half of `_kiln_ffi`).

A JavaScript object seen from Python is a JsProxy. Its class depends on what the object can
do (be called, iterated, awaited, indexed...): `_jsproxy_class` makes one class per such set
of capabilities, from the public classes below, which `pyodide.ffi` exports under Pyodide's
names. The operations themselves are functions of the built-in module `_kiln_js`, JavaScript
functions that the loader places in the interpreter's function table
(runtime/js/bridge/jsproxy.mjs); `_kiln_js.install(cls, group)` makes a group of them methods
of `cls` (method descriptors, as a C type's methods are: no Python frame per call). What is
written here in Python is what is simpler in Python: list-like and dict-like methods built on
those operations, awaiting a promise, class selection.

A JsProxy's JS value is kept on the JS side, keyed by the proxy's address; the proxy's
`__del__` releases it. Import `_kiln_ffi`, not this module: it hands the JS side the helpers
below (`_kiln_js.set_helpers`) and re-exports every public name.
"""

import _kiln_js
import sys
from _collections_abc import (
    ItemsView, KeysView, Mapping, MutableMapping, MutableSequence, ValuesView,
)

# What a JS value can do: bits computed by jsproxy.mjs (`jsFlags`); keep the two in step.
CALLABLE = 1 << 0
ARRAY = 1 << 1  # Array.isArray
ARRAY_LIKE = 1 << 2  # a length and an iterator (NodeList, HTMLCollection): read-only
TYPED_ARRAY = 1 << 3
BUFFER = 1 << 4  # ArrayBuffer or a view of one
ITERABLE = 1 << 5
ITERATOR = 1 << 6
ASYNC_ITERABLE = 1 << 7
ASYNC_ITERATOR = 1 << 8
GENERATOR = 1 << 9
ASYNC_GENERATOR = 1 << 10
THENABLE = 1 << 11
ERROR = 1 << 12
HAS_GET = 1 << 13
HAS_HAS = 1 << 14
HAS_SET = 1 << 15
HAS_LENGTH = 1 << 16  # a numeric length or size
HAS_INCLUDES = 1 << 17
DOUBLE_PROXY = 1 << 18  # a PyProxy made by create_proxy
OBJECT_MAP = 1 << 19  # as_object_map() / as_py_json() of an object
JSON_ARRAY = 1 << 20  # as_py_json() of an array
HEREDITARY = 1 << 21  # values of an object map are object maps too
ONCE = 1 << 22  # create_once_callable's function
HAS_DELETE = 1 << 23
DISPOSABLE = 1 << 24  # has [Symbol.dispose]
ASYNC_DISPOSABLE = 1 << 25  # has [Symbol.asyncDispose]
IS_PY_JSON = 1 << 26  # as_py_json(): nested objects and arrays are viewed the same way

# js_id of each JS object imported as a module (registerJsModule) → its spec. _kiln_ffi's
# module finder fills it; a JsProxy reads it for `__path__` and `__spec__`.
_module_specs = {}


class JsProxy:
    """A JavaScript object seen from Python (see docs/runtime.md for the operations)."""

    __slots__ = ()
    __hash__ = None  # JS objects compare by identity (===) but are not hashable, as in Pyodide
    _js_type_flags = 0

    def __new__(cls, *args, **kwargs):
        raise TypeError(f"{cls.__name__} cannot be instantiated.")

    typeof = property(_kiln_js.typeof, doc="`typeof` of the JavaScript value.")
    js_id = property(_kiln_js.js_id, doc="A number identifying the JavaScript object.")

    # A JS object imported as a module (registerJsModule) is a package, so that its
    # attributes import as submodules (`from pyodide_js._api import install`: the import
    # system asks the parent for `__path__` first). Other proxies have neither attribute.
    @property
    def __path__(self):
        if _module_specs.get(self.js_id) is None:
            raise AttributeError("__path__")
        return []

    @property
    def __spec__(self):
        spec = _module_specs.get(self.js_id)
        if spec is None:
            raise AttributeError("__spec__")
        return spec

    def as_object_map(self, *, hereditary=False):
        """A view of the object as a mutable mapping of its own properties."""
        return _kiln_js.with_flags(self, OBJECT_MAP | (HEREDITARY if hereditary else 0))

    def as_py_json(self):
        """A view of JSON-like data: objects as mappings, arrays as sequences, all the way down."""
        return _kiln_js.as_py_json(self)

    def to_weakref(self):
        return _kiln_js.global_get("WeakRef").new(self)

    def bind_sig(self, signature):
        return self

    def bind_class(self, signature):
        return self

    def __enter__(self):
        if not self._js_type_flags & DISPOSABLE:
            raise TypeError(f"'{type(self).__name__}' object does not support the context manager protocol")
        return self

    def __exit__(self, *exc):
        _kiln_js.dispose(self)
        return False

    async def __aenter__(self):
        if not self._js_type_flags & ASYNC_DISPOSABLE:
            raise TypeError(f"'{type(self).__name__}' object does not support the asynchronous context manager protocol")
        return self

    async def __aexit__(self, *exc):
        await _kiln_js.async_dispose(self)
        return False


# __getattr__, __setattr__, __delattr__, __repr__, __eq__, __ne__, __bool__, __dir__, __del__,
# new, to_py, object_keys, object_values, object_entries.
_kiln_js.install(JsProxy, "base")


class JsDoubleProxy(JsProxy):
    """A JsProxy of a PyProxy made by create_proxy: destroy() frees it."""

    __slots__ = ()


_kiln_js.install(JsDoubleProxy, "double_proxy")  # destroy, unwrap


class JsCallable(JsProxy):
    """A JavaScript function (`typeof` "function")."""

    __slots__ = ()


_kiln_js.install(JsCallable, "callable")  # __call__


class JsCallableDoubleProxy(JsDoubleProxy, JsCallable):
    __slots__ = ()


class JsOnceCallable(JsCallable):
    """A function made by create_once_callable: it may be called once."""

    __slots__ = ()


_kiln_js.install(JsOnceCallable, "once")  # destroy


class JsPromise(JsProxy):
    """A JavaScript Promise (or any object with a `then` method): awaitable."""

    __slots__ = ()

    def __await__(self):
        return _promise_future(self).__await__()

    def then(self, onfulfilled, onrejected=None):
        """Promise.then, with the handlers released once the promise settles."""
        return _kiln_js.promise_then(self, onfulfilled, onrejected)

    def catch(self, onrejected):
        return _kiln_js.promise_then(self, None, onrejected)

    def finally_(self, onfinally):
        return _kiln_js.promise_finally(self, onfinally)


class JsBuffer(JsProxy):
    """An ArrayBuffer or a view of one (typed arrays, DataView)."""

    __slots__ = ()

    def to_memoryview(self):
        """The data as a memoryview (one copy), typed as the array's elements."""
        return _kiln_js.buffer_to_memoryview(self)

    def to_file(self, file, /):
        file.write(self.to_bytes())

    def from_file(self, file, /):
        self.assign(file.read(self.byteLength))

    def _into_file(self, file, /):
        self.to_file(file)

    def to_string(self, encoding=None):
        return _kiln_js.buffer_to_string(self, encoding)


_kiln_js.install(JsBuffer, "buffer")  # to_bytes, assign, assign_to


class JsIterator(JsProxy):
    """A JavaScript iterator (it has `next`)."""

    __slots__ = ()

    def __iter__(self):
        return self


_kiln_js.install(JsIterator, "iterator")  # __next__


class JsAsyncIterator(JsProxy):
    """A JavaScript async iterator (`next` returns promises)."""

    __slots__ = ()

    def __aiter__(self):
        return self

    async def __anext__(self):
        result = await _kiln_js.call_method(self, "next")
        if result.done:
            raise StopAsyncIteration
        return result.value


class JsIterable(JsProxy):
    """A JavaScript iterable (it has [Symbol.iterator])."""

    __slots__ = ()


_kiln_js.install(JsIterable, "iterable")  # __iter__


class JsAsyncIterable(JsProxy):
    """A JavaScript async iterable (it has [Symbol.asyncIterator])."""

    __slots__ = ()


_kiln_js.install(JsAsyncIterable, "async_iterable")  # __aiter__


class JsGenerator(JsIterable):
    """A JavaScript generator: next, send, throw and close."""

    __slots__ = ()

    def __iter__(self):
        return self

    def close(self):
        _kiln_js.call_method(self, "return")


_kiln_js.install(JsGenerator, "generator")  # __next__, send, throw


class JsAsyncGenerator(JsAsyncIterable):
    """A JavaScript async generator."""

    __slots__ = ()

    def __aiter__(self):
        return self

    async def __anext__(self):
        return await self.asend(None)

    async def asend(self, value, /):
        result = await _kiln_js.call_method(self, "next", value)
        if result.done:
            raise StopAsyncIteration
        return result.value

    async def athrow(self, error, /, *args):
        result = await _kiln_js.call_method(self, "throw", error)
        if result.done:
            raise StopAsyncIteration
        return result.value

    async def aclose(self):
        await _kiln_js.call_method(self, "return")


class _JsLength(JsProxy):
    __slots__ = ()


_kiln_js.install(_JsLength, "length")  # __len__


class _JsContains(JsProxy):
    __slots__ = ()


_kiln_js.install(_JsContains, "contains")  # __contains__ (has or includes)


class _JsItems(JsProxy):
    """proxy[k] → x.get(k), proxy[k] = v → x.set(k, v), del proxy[k] → x.delete(k)."""

    __slots__ = ()


_kiln_js.install(_JsItems, "items")  # __getitem__, __setitem__, __delitem__


class JsArray(JsIterable):
    """A JavaScript Array, typed array or array-like object (NodeList...): a sequence."""

    __slots__ = ()

    def append(self, object, /):
        _kiln_js.call_method(self, "push", object)

    push = append

    def extend(self, other, /):
        for item in list(other):
            _kiln_js.call_method(self, "push", item)

    def index(self, value, start=0, stop=sys.maxsize, /):
        n = len(self)
        start, stop, _ = slice(start, stop).indices(n)
        for i in range(start, stop):
            item = self[i]
            if item is value or item == value:
                return i
        raise ValueError(f"{value!r} is not in list")

    def count(self, value, /):
        return sum(1 for item in self if item is value or item == value)

    def reverse(self):
        _kiln_js.call_method(self, "reverse")

    def insert(self, index, value, /):
        n = len(self)
        index = max(0, min(n, index + n if index < 0 else index))
        _kiln_js.call_method(self, "splice", index, 0, value)

    def remove(self, value, /):
        del self[self.index(value)]

    def pop(self, index=-1, /):
        n = len(self)
        if not n:
            raise IndexError("pop from empty array")
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError("pop index out of range")
        return _kiln_js.call_method(self, "splice", index, 1)[0]

    def __reversed__(self):
        for i in range(len(self) - 1, -1, -1):
            yield self[i]


# __len__, __getitem__, __setitem__, __delitem__, __contains__
_kiln_js.install(JsArray, "array")
MutableSequence.register(JsArray)


class JsTypedArray(JsBuffer, JsArray):
    """A JavaScript typed array: both a buffer and a sequence of numbers."""

    __slots__ = ()


class JsMap(JsIterable):
    """A JavaScript Map or map-like object (get, size or length, iterable): a mapping."""

    __slots__ = ()

    def keys(self):
        return KeysView(self)

    def values(self):
        return ValuesView(self)

    def items(self):
        return ItemsView(self)

    def get(self, key, default=None, /):
        try:
            return self[key]
        except KeyError:
            return default


_kiln_js.install(JsMap, "map")  # __getitem__, __len__, __contains__, __iter__
Mapping.register(JsMap)


class JsMutableMap(JsMap):
    """A JavaScript Map (get, set, has, delete, size): a mutable mapping."""

    __slots__ = ()

    _missing = object()

    def pop(self, key, default=_missing, /):
        try:
            value = self[key]
        except KeyError:
            if default is self._missing:
                raise
            return default
        del self[key]
        return value

    def setdefault(self, key, default=None, /):
        try:
            return self[key]
        except KeyError:
            self[key] = default
            return default

    def popitem(self):
        for key in self:
            return key, self.pop(key)
        raise KeyError("popitem(): map is empty")

    def clear(self):
        for key in list(self):
            del self[key]

    def update(self, other=(), /, **kwargs):
        if hasattr(other, "keys"):
            for key in other.keys():
                self[key] = other[key]
        else:
            for key, value in other:
                self[key] = value
        for key, value in kwargs.items():
            self[key] = value


_kiln_js.install(JsMutableMap, "mutable_map")  # __setitem__, __delitem__
MutableMapping.register(JsMutableMap)


class JsException(JsProxy, Exception):
    """A JavaScript error (or any thrown value) raised in Python: `name`, `message`, `stack`."""

    __slots__ = ()
    __hash__ = Exception.__hash__  # exceptions go into sets (traceback printing, asyncio)

    def __new__(cls, *args, **kwargs):
        raise TypeError("JsException cannot be instantiated.")

    def __str__(self):
        return _kiln_js.error_string(self)


def _new_jsexception(cls):
    """An empty JsException of class `cls`; the bridge attaches the JS error to it."""
    return Exception.__new__(cls)


class JsWeakRef(JsProxy):
    __slots__ = ()


class JsDomElement(JsProxy):
    __slots__ = ()


class JsFetchResponse(JsProxy):
    __slots__ = ()


def _proper_bases(classes):
    """The classes, without those that another one already derives from."""
    return tuple(c for c in classes if not any(o is not c and issubclass(o, c) for o in classes))


_classes = {}


def _jsproxy_class(flags):
    """The JsProxy class for JS values that can do what `flags` say (made once per flags)."""
    cls = _classes.get(flags)
    if cls is not None:
        return cls
    if flags & ERROR:
        _kiln_js.patch_slots(JsException)
        _classes[flags] = JsException
        return JsException
    bases = []
    if flags & DOUBLE_PROXY:
        bases.append(JsCallableDoubleProxy if flags & CALLABLE else JsDoubleProxy)
    elif flags & ONCE:
        bases.append(JsOnceCallable)
    elif flags & CALLABLE:
        bases.append(JsCallable)
    if flags & THENABLE:
        bases.append(JsPromise)
    if flags & TYPED_ARRAY:
        bases.append(JsTypedArray)
    elif flags & (ARRAY | ARRAY_LIKE | JSON_ARRAY):
        bases.append(JsArray)
    elif flags & BUFFER:
        bases.append(JsBuffer)
    elif flags & OBJECT_MAP:
        bases.append(JsMutableMap)
    elif flags & HAS_GET and flags & HAS_LENGTH and flags & ITERABLE:
        bases.append(JsMutableMap if flags & HAS_SET and flags & HAS_HAS else JsMap)
    else:
        if flags & GENERATOR:
            bases.append(JsGenerator)
        if flags & ITERATOR:
            bases.append(JsIterator)
        if flags & ITERABLE:
            bases.append(JsIterable)
        if flags & ASYNC_GENERATOR:
            bases.append(JsAsyncGenerator)
        if flags & ASYNC_ITERATOR:
            bases.append(JsAsyncIterator)
        if flags & ASYNC_ITERABLE:
            bases.append(JsAsyncIterable)
        if flags & HAS_LENGTH:
            bases.append(_JsLength)
        if flags & (HAS_HAS | HAS_INCLUDES):
            bases.append(_JsContains)
        if flags & HAS_GET:
            bases.append(_JsItems)
    bases = _proper_bases(bases) or (JsProxy,)
    cls = type("JsProxy", bases, {"__slots__": (), "__module__": "pyodide.ffi",
                                  "__qualname__": "JsProxy", "_js_type_flags": flags})
    _kiln_js.patch_slots(cls)  # attribute access straight to JS, without __getattr__
    _classes[flags] = cls
    return cls


# Awaiting a JavaScript promise: JsPromise.__await__, and the bridge's side of it.
def _get_loop():
    import asyncio

    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.get_event_loop()


def _promise_future(promise):
    """A future on the event loop that settles with `promise`."""
    future = _get_loop().create_future()
    _kiln_js.promise_settle(promise, future)
    return future


def _settle_future(future, ok, value):
    # Called by the bridge when a promise settles (a cancelled future stays cancelled).
    if future.done():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


def _call_returned_promise(promise):
    # A JS function called from Python returned a promise: as in Pyodide, the caller gets a
    # future (if an event loop is there to settle it).
    try:
        import asyncio

        loop = asyncio.get_running_loop()
    except RuntimeError:
        return promise
    future = loop.create_future()
    _kiln_js.promise_settle(promise, future)
    return future


# The public classes are pyodide.ffi's (their names in tracebacks and reprs say so).
for _cls in (JsProxy, JsDoubleProxy, JsCallable, JsCallableDoubleProxy, JsOnceCallable,
             JsPromise, JsBuffer, JsIterator, JsAsyncIterator, JsIterable, JsAsyncIterable,
             JsGenerator, JsAsyncGenerator, JsArray, JsTypedArray, JsMap, JsMutableMap,
             JsException, JsWeakRef, JsDomElement, JsFetchResponse):
    _cls.__module__ = "pyodide.ffi"
del _cls
