"""Pyodide's foreign function interface: JavaScript objects in Python (JsProxy and its
kinds), conversions (`to_js`, `JsProxy.to_py`), proxies of Python objects that JavaScript
keeps (`create_proxy`, `create_once_callable`), and JavaScript errors (`JsException`).

The implementation is the runtime's `_kiln_ffi` module and the JavaScript half of the bridge;
see docs/runtime.md for the conversion rules and who owns which proxy.
"""

import sys

from _kiln_ffi import (
    ConversionError,
    InternalError,
    JsArray,
    JsAsyncGenerator,
    JsAsyncIterable,
    JsAsyncIterator,
    JsBigInt,
    JsBuffer,
    JsCallable,
    JsCallableDoubleProxy,
    JsDomElement,
    JsDoubleProxy,
    JsException,
    JsFetchResponse,
    JsGenerator,
    JsIterable,
    JsIterator,
    JsMap,
    JsMutableMap,
    JsNull,
    JsOnceCallable,
    JsPromise,
    JsProxy,
    JsTypedArray,
    JsWeakRef,
    create_once_callable,
    create_proxy,
    destroy_proxies,
    jsnull,
    register_js_module,
    to_js,
    unregister_js_module,
)

IN_PYODIDE = sys.platform == "emscripten"


def run_sync(awaitable):
    """Blocks until `awaitable` is done. Needs JavaScript promise integration (stack
    switching), which kiln's runtime does not provide: always raises RuntimeError."""
    raise RuntimeError("run_sync needs WebAssembly stack switching, which kiln's runtime does not support")


def can_run_sync():
    """Whether run_sync can work here: never in kiln's runtime."""
    return False


__all__ = [
    "ConversionError", "InternalError", "IN_PYODIDE", "JsArray", "JsAsyncGenerator",
    "JsAsyncIterable", "JsAsyncIterator", "JsBigInt", "JsBuffer", "JsCallable",
    "JsCallableDoubleProxy", "JsDomElement", "JsDoubleProxy", "JsException", "JsFetchResponse",
    "JsGenerator", "JsIterable", "JsIterator", "JsMap", "JsMutableMap", "JsNull",
    "JsOnceCallable", "JsPromise", "JsProxy", "JsTypedArray", "JsWeakRef", "can_run_sync",
    "create_once_callable", "create_proxy", "destroy_proxies", "jsnull", "register_js_module",
    "run_sync", "to_js", "unregister_js_module",
]
