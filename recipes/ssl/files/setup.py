# kiln's recipe `ssl`: CPython's `_ssl` and `_hashlib` as extension modules of a package build.
# They are core modules (`Py_BUILD_CORE_MODULE`): they include the interpreter's internal
# headers, which the target's include folder has under `internal/`, and their own helpers
# from `Modules/`.
import os
import sysconfig

from setuptools import Extension, setup

# The target interpreter's headers: `INCLUDEPY` of the target's sysconfig data (a cross build's
# `get_paths()` would name the build machine's Python).
include = sysconfig.get_config_var("INCLUDEPY")
# OPENSSL_THREADS: CPython refuses an OpenSSL built without threads, which it needs for its
# own threads. The platform has none (no pthreads in pyemscripten_2026_5: one thread runs all
# Python), and the `openssl` recipe is built `no-threads` to match; its locks are no-ops.
common = {
    "define_macros": [("Py_BUILD_CORE_MODULE", "1"), ("OPENSSL_THREADS", "1")],
    "include_dirs": ["Modules", os.path.join(include, "internal")],
}

setup(
    packages=[],
    py_modules=[],
    ext_modules=[
        Extension("_ssl", ["Modules/_ssl.c"], libraries=["ssl", "crypto"], **common),
        Extension("_hashlib", ["Modules/_hashopenssl.c"], libraries=["crypto"], **common),
    ],
)
