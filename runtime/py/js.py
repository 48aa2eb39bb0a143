"""The `js` module: JavaScript's global scope (`globalThis`, or loadPyodide's `jsglobals`).

`import js` replaces this module by a JsProxy of that object, so `js.document`,
`from js import fetch` and `js.x = 1` act on it directly.
"""

import sys

import _kiln_ffi  # noqa: F401  (the bridge's classes, needed by the proxy)
import _kiln_js

sys.modules[__name__] = _kiln_js.global_scope()
