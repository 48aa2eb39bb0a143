// Where things are in the runtime's own file system (emscripten's, in memory), and the name of
// the package index beside the loader. The runtime's build (recipes/cpython) decides the prefix.

// The platform the runtime is built for. `kiln` writes these three lines from the platform file
// when it assembles dist/python.mjs (src/bundle/runtime.rs); the values here are for the unit
// tests, which import this file as it is.
export const PYTHON_VERSION = "3.15";
export const PLATFORM_TAG = "pyemscripten_2026_5_wasm32";
// kiln's version: the JS API's `version` and Python's `pyodide.__version__` (written the
// same way).
export const KILN_VERSION = "0.1.0";
// "full": the platform's runtime, which loads any wheel of its platform; "slim": an interpreter
// that exports only what its distribution's side modules import (docs/size.md), rewritten the
// same way by `build-recipes --install --slim`.
export const VARIANT = "full";

// The runtime was configured with --prefix=/usr/local: its own sys.prefix, and where
// CPython's path computation looks for lib/python3XY.zip without any further setting.
export const PREFIX = "/usr/local";
export const STDLIB_ZIP = `${PREFIX}/lib/python${PYTHON_VERSION.replace(".", "")}.zip`;
export const EXECUTABLE = `${PREFIX}/bin/python${PYTHON_VERSION}`;
export const STDLIB_DIR = `${PREFIX}/lib/python${PYTHON_VERSION}`;
// Where wheels are unpacked: the site-packages folder site.py puts on sys.path.
export const SITE_PACKAGES = `${STDLIB_DIR}/site-packages`;
// Where the files of `dynlib` lock entries (shared libraries) go; also LD_LIBRARY_PATH, so
// that ctypes.CDLL("libfoo.so") finds them by name.
export const LIBRARY_DIR = `${PREFIX}/lib`;
// The package index of a bundle, in Pyodide's format, beside python.mjs.
export const LOCKFILE = "pyodide-lock.json";
