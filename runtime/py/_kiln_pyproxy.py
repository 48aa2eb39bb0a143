"""_kiln_pyproxy: Python objects in JavaScript, what the PyProxy needs of Python (one half
of `_kiln_ffi`).

A PyProxy is made and driven from JavaScript (runtime/js/bridge/pyproxy.mjs and the modules
beside it); Python's part is small: the capabilities of a type, which choose a proxy's
methods (`_pyproxy_flags`), running an awaitable for `PyProxy.then` (`_awaitable_then`), and
the functions that make proxies JavaScript keeps (`create_proxy`, `create_once_callable`).
Import them from `_kiln_ffi` (or `pyodide.ffi`), which re-exports every public name.
"""

import _kiln_js


def create_proxy(obj, /, *, capture_this=False, roundtrip=True):
    """A PyProxy of `obj` that lives until destroy() is called (for callbacks kept by JS)."""
    return _kiln_js.create_proxy(obj, capture_this, roundtrip)


def create_once_callable(obj, /, *, _may_syncify=False):
    """A JS function that calls `obj` once, then releases it (or earlier, with destroy())."""
    return _kiln_js.create_once_callable(obj)


def destroy_proxies(pyproxies, /):
    """Destroys every PyProxy of a JS array (such as to_js's `pyproxies`)."""
    _kiln_js.destroy_proxies(pyproxies)


# Python types' capabilities, as seen by a PyProxy (runtime/js/bridge/pyhandle.mjs has
# the same bits).
PY_HAS_LENGTH = 1 << 0
PY_HAS_GET = 1 << 1
PY_HAS_SET = 1 << 2
PY_HAS_CONTAINS = 1 << 3
PY_ITERABLE = 1 << 4
PY_ITERATOR = 1 << 5
PY_AWAITABLE = 1 << 6
PY_BUFFER = 1 << 7
PY_CALLABLE = 1 << 8
PY_ASYNC_ITERABLE = 1 << 9
PY_ASYNC_ITERATOR = 1 << 10
PY_GENERATOR = 1 << 11
PY_ASYNC_GENERATOR = 1 << 12
PY_SEQUENCE = 1 << 13
PY_MUTABLE_SEQUENCE = 1 << 14
PY_DICT = 1 << 15


def _pyproxy_flags(t):
    """What a PyProxy of an instance of type `t` offers (computed once per type)."""
    import _collections_abc as abc

    # Looked up in the type's own MRO: hasattr(t, ...) would also find the metaclass's
    # attributes (every class has type.__call__, yet not every instance is callable).
    mro = t.__mro__
    has = lambda name: any(name in c.__dict__ and c.__dict__[name] is not None for c in mro)  # noqa: E731
    flags = 0
    flags |= PY_HAS_LENGTH if has("__len__") else 0
    flags |= PY_HAS_GET if has("__getitem__") else 0
    flags |= PY_HAS_SET if has("__setitem__") else 0
    flags |= PY_HAS_CONTAINS if has("__contains__") else 0
    flags |= PY_ITERABLE if has("__iter__") else 0
    flags |= PY_ITERATOR if has("__next__") else 0
    flags |= PY_AWAITABLE if has("__await__") else 0
    flags |= PY_BUFFER if has("__buffer__") else 0
    flags |= PY_CALLABLE if has("__call__") else 0
    flags |= PY_ASYNC_ITERABLE if has("__aiter__") else 0
    flags |= PY_ASYNC_ITERATOR if has("__anext__") else 0
    flags |= PY_GENERATOR if issubclass(t, abc.Generator) else 0
    flags |= PY_ASYNC_GENERATOR if issubclass(t, abc.AsyncGenerator) else 0
    if issubclass(t, abc.Sequence) and not issubclass(t, (str, bytes, bytearray)):
        flags |= PY_SEQUENCE
        flags |= PY_MUTABLE_SEQUENCE if issubclass(t, abc.MutableSequence) else 0
    flags |= PY_DICT if issubclass(t, dict) else 0
    return flags


def _awaitable_then(awaitable, settle):
    """Runs `awaitable` on the event loop; calls `settle(True, result)` or
    `settle(False, exception)` (a JS function) when it is done. For PyProxy.then."""
    import asyncio

    future = asyncio.ensure_future(awaitable)

    def done(f):
        try:
            result = f.result()
        except BaseException as exc:  # noqa: BLE001  (cancellation included)
            settle(False, exc)
        else:
            settle(True, result)

    future.add_done_callback(done)
