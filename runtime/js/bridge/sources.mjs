// The Python half of the bridge and of the JS API: files the loader writes into the runtime's
// standard library folder before Python starts (in dist/ their text is inlined here).

import { includeText } from "../host.mjs";

/** [path under the standard library folder, text] of each file. */
export const PYTHON_SOURCES = [
  ["_kiln.py", await includeText("../../py/_kiln.py", import.meta.url)],
  ["_kiln_ffi.py", await includeText("../../py/_kiln_ffi.py", import.meta.url)],
  ["_kiln_jsproxy.py", await includeText("../../py/_kiln_jsproxy.py", import.meta.url)],
  ["_kiln_pyproxy.py", await includeText("../../py/_kiln_pyproxy.py", import.meta.url)],
  ["_pyodide_core.py", await includeText("../../py/_pyodide_core.py", import.meta.url)],
  ["js.py", await includeText("../../py/js.py", import.meta.url)],
  ["pyodide/__init__.py", await includeText("../../py/pyodide/__init__.py", import.meta.url)],
  ["pyodide/code.py", await includeText("../../py/pyodide/code.py", import.meta.url)],
  ["pyodide/ffi/__init__.py", await includeText("../../py/pyodide/ffi/__init__.py", import.meta.url)],
  ["pyodide/ffi/wrappers.py", await includeText("../../py/pyodide/ffi/wrappers.py", import.meta.url)],
  ["pyodide/http.py", await includeText("../../py/pyodide/http.py", import.meta.url)],
  ["pyodide/webloop.py", await includeText("../../py/pyodide/webloop.py", import.meta.url)],
];
