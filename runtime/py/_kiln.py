"""_kiln: what the loader's JS API asks of Python, apart from the bridge itself.

Running code as a notebook cell does (`eval_code`, `eval_code_async`: the value of a final
expression is the result), formatting an exception for a `PythonError`, finding the modules a
snippet imports (for packages that load by themselves), and making new packages importable.
The loader writes this file into the runtime's standard library folder and calls these
functions through the bridge (runtime/js/interpreter.mjs). It imports as little as possible:
`json` alone (with re, enum, collections...) would cost 0.3 s of start-up.
"""

import _ast
import sys

_CO_COROUTINE = 0x80


def _compile(source, filename, flags):
    # Like a notebook cell: the value of a final expression statement is the result, unless
    # the code ends with a semicolon.
    tree = compile(source, filename, "exec", _ast.PyCF_ONLY_AST | flags)
    last = None
    if tree.body and isinstance(tree.body[-1], _ast.Expr) and not source.rstrip().endswith(";"):
        last = _ast.Expression(tree.body.pop().value)
    body = compile(tree, filename, "exec", flags)
    tail = compile(last, filename, "eval", flags) if last is not None else None
    return body, tail


def eval_code(source, globals=None, locals=None, filename="<exec>"):
    """Runs `source`; returns the value of its final expression (None if there is none)."""
    if globals is None:
        globals = sys.modules["__main__"].__dict__
    body, tail = _compile(source, filename, 0)
    eval(body, globals, locals)
    return eval(tail, globals, locals) if tail is not None else None


async def eval_code_async(source, globals=None, locals=None, filename="<exec>"):
    """Like eval_code with top-level `await` allowed: a coroutine (the JS API runs it as a
    task on the WebLoop, which runs on the JS event loop)."""
    if globals is None:
        globals = sys.modules["__main__"].__dict__
    body, tail = _compile(source, filename, _ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    value = eval(body, globals, locals)
    if body.co_flags & _CO_COROUTINE:
        await value
    if tail is None:
        return None
    value = eval(tail, globals, locals)
    if tail.co_flags & _CO_COROUTINE:
        value = await value
    return value


async def console_run(source, filename="<console>"):
    """Runs a console's input (top-level `await` allowed) in `__main__`; returns the repr of
    its value, as Python's console shows it (None: nothing to show), and keeps the value as
    `_`."""
    value = await eval_code_async(source, None, None, filename)
    if value is None:
        return None
    import builtins

    builtins._ = value
    return repr(value)


def globals_get(namespace, key):
    """namespace[key], else the builtin of that name, else None (the JS API's globals.get)."""
    try:
        return namespace[key]
    except KeyError:
        import builtins

        return getattr(builtins, key, None)


def is_complete(source):
    """Whether `source` is a complete statement for a console (False: wait for more lines).
    Code with a syntax error is complete: running it reports the error."""
    import codeop

    try:
        # "single", as Python's own console: a compound statement ends with an empty line.
        return codeop.compile_command(source, "<console>", "single") is not None
    except (SyntaxError, ValueError, OverflowError):
        return True


# Files of the runtime's own Python code: their frames are left out of tracebacks.
_INTERNAL = ("_kiln.py", "_kiln_ffi.py", "_kiln_jsproxy.py", "_kiln_pyproxy.py", "<kiln>")


def format_exception(exc):
    """The traceback of `exc` as Python prints it, without the runtime's own frames at the
    top. Also sets sys.last_exc (and last_type/value/traceback), as the REPL does."""
    import traceback

    sys.last_exc = sys.last_value = exc
    sys.last_type = type(exc)
    sys.last_traceback = tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename.endswith(_INTERNAL):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


def find_imports(source):
    """Top-level names of the modules a snippet imports, anywhere in it, "\\n"-separated
    (absolute imports only: a relative one names a module of the snippet's own package).
    Code that does not parse imports nothing here; running it reports the error."""
    try:
        tree = compile(source, "<imports>", "exec",
                       _ast.PyCF_ONLY_AST | _ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    except (SyntaxError, ValueError):
        return ""
    names = {}  # in order of appearance
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, _ast.Import):
            for alias in node.names:
                names[alias.name.partition(".")[0]] = None
        elif isinstance(node, _ast.ImportFrom) and not node.level and node.module:
            names[node.module.partition(".")[0]] = None
        children = []
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, list):
                children.extend(v for v in value if isinstance(v, _ast.AST))
            elif isinstance(value, _ast.AST):
                children.append(value)
        todo.extend(reversed(children))
    return "\n".join(names)


def packages_installed(site):
    """New files in `site` (site-packages) and the folders below it become importable.
    Returns "" (the loader calls it as it calls find_imports: a string in, a string out)."""
    # Under python -S, site.py did not put site-packages on sys.path; loading a package asks
    # for it to be importable.
    if site not in sys.path:
        sys.path.append(site)
    # The import system caches folder listings: drop those of site-packages and the folders
    # below it. (Not importlib.invalidate_caches(): it also re-reads the stdlib zip's
    # directory, 0.5 s.)
    for path, finder in list(sys.path_importer_cache.items()):
        if finder is not None and (path == site or path.startswith(site + "/")):
            finder.invalidate_caches()
    metadata = sys.modules.get("importlib.metadata")
    if metadata is not None:
        metadata.MetadataPathFinder.invalidate_caches()
    return ""


class _InstallingLoader:
    """asyncio's own loader, which also makes a WebLoop the running loop once asyncio has
    loaded (see install_webloop_on_import)."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        from pyodide.webloop import install

        install()


class _AsyncioHook:
    def find_spec(self, name, path=None, target=None):
        if name != "asyncio":
            return None
        sys.meta_path.remove(self)
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _InstallingLoader(spec.loader)
        return spec


def install_webloop_on_import():
    """The JS API's event loop, a WebLoop (pyodide/webloop.py), becomes asyncio's running loop
    when something first imports asyncio: importing asyncio takes 0.3 s and more of a
    start-up, which code that never uses it should not pay."""
    if "asyncio" in sys.modules:
        from pyodide.webloop import install

        install()
    elif not any(isinstance(finder, _AsyncioHook) for finder in sys.meta_path):
        sys.meta_path.insert(0, _AsyncioHook())


# File name extensions Pyodide's unpackArchive takes, as shutil's format names.
_ARCHIVE_FORMATS = {
    "zip": "zip", "whl": "zip", "wheel": "zip",
    "tar": "tar", "gztar": "gztar", "tar.gz": "gztar", "tgz": "gztar",
    "bztar": "bztar", "tar.bz2": "bztar", "tbz2": "bztar",
    "xztar": "xztar", "tar.xz": "xztar", "txz": "xztar",
}


def unpack_archive(buffer, format, extract_dir=None):
    """The JS API's unpackArchive: `buffer` (a JS buffer) unpacked by shutil into `extract_dir`
    (default: the working folder). `format` is shutil's name or a file extension."""
    import os
    import shutil
    import tempfile

    name = str(format).lower().lstrip(".")
    if name not in _ARCHIVE_FORMATS:
        raise ValueError(f"unknown archive format {format!r}: expected one of {', '.join(sorted(_ARCHIVE_FORMATS))}")
    descriptor, path = tempfile.mkstemp(suffix=".archive")
    try:
        with os.fdopen(descriptor, "wb") as f:
            f.write(buffer.to_bytes())
        shutil.unpack_archive(path, extract_dir, _ARCHIVE_FORMATS[name])
    finally:
        os.unlink(path)


def enable_interrupts():
    """SIGINT raises KeyboardInterrupt (the JS API's interrupt buffer, setInterruptBuffer).
    The interpreter starts without Python's signal handlers (Py_InitializeEx(0)), and CPython
    ignores an interrupt for a signal Python does not handle."""
    import signal

    if signal.getsignal(signal.SIGINT) in (signal.SIG_DFL, signal.SIG_IGN, None):
        signal.signal(signal.SIGINT, signal.default_int_handler)
