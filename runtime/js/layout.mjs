// Where things are in the runtime's own file system (emscripten's, in memory), and the name of
// the package index beside the loader. The runtime's build (recipes/cpython) decides the prefix.

// The runtime was configured with --prefix=/usr/local: its own sys.prefix, and where
// CPython's path computation looks for lib/python313.zip without any further setting.
export const PREFIX = "/usr/local";
export const STDLIB_ZIP = `${PREFIX}/lib/python313.zip`;
export const EXECUTABLE = `${PREFIX}/bin/python3.13`;
// Where wheels are unpacked: the site-packages folder site.py puts on sys.path.
export const SITE_PACKAGES = `${PREFIX}/lib/python3.13/site-packages`;
// Where the files of `dynlib` lock entries (shared libraries) go; also LD_LIBRARY_PATH, so
// that ctypes.CDLL("libfoo.so") finds them by name.
export const LIBRARY_DIR = `${PREFIX}/lib`;
// The package index of a bundle, in Pyodide's format, beside python.mjs.
export const LOCKFILE = "pyodide-lock.json";
