"""kiln's `pyodide` package: Pyodide's Python API over kiln's runtime.

`pyodide.ffi` (proxies and conversions), `pyodide.code` (running code, `run_js`),
`pyodide.http` (`pyfetch`, `open_url`) and `pyodide.webloop` (asyncio on the JavaScript event
loop). The submodules load when first used (`import pyodide; pyodide.ffi.to_js` works, as in
Pyodide, where start-up has imported them). The differences from Pyodide are listed in
docs/moving-from-pyodide.md.
"""

from _kiln_js import version as __version__

__all__ = ["__version__", "code", "ffi", "http", "webloop"]


def __getattr__(name):
    if name in ("code", "ffi", "http", "webloop"):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
