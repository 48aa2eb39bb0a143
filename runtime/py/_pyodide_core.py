"""A marker: this runtime offers Pyodide's API.

Pyodide's Python code tells Pyodide's runtime apart from others by its C core module
`_pyodide_core` being in `sys.modules` (micropip picks its way of installing by it). kiln's
bridge has no C part, but it offers the same JS and Python API (`pyodide_js`, `pyodide.ffi`,
`pyodide.http`), so the JS API imports this empty module when it starts (interpreter.mjs):
micropip then installs through `pyodide_js`, as in Pyodide. The command line does not import it
(there the JS event loop does not run while Python does, so micropip cannot work anyway).
"""
