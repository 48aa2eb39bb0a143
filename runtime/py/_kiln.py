# _kiln: the Python side of the loader's JS API (runtime/js/helper.mjs is the other side).
#
# The loader runs this file once after the interpreter starts, as module `_kiln` with the file
# name "<kiln>" (so its frames can be cut from tracebacks). Each function takes one string and
# answers with text, "<kind>\n<value>", so that the JS side needs only a handful of C API calls.
# It imports as little as possible: `json` alone (with re, enum, collections…) cost 0.3 s of
# start-up.

import _ast, sys

_main = sys.modules["__main__"].__dict__
_loop = None
_CO_COROUTINE = 0x80

def _answer(kind, text):
    try:
        text.encode()
    except UnicodeEncodeError:  # lone surrogates cannot cross as UTF-8
        text = text.encode("utf-8", "backslashreplace").decode()
    return kind + "\n" + text

def _encode(value):
    kind = type(value)
    if value is None:
        return _answer("none", "")
    if kind is bool:
        return _answer("bool", "1" if value else "")
    if kind is int:
        return _answer("int", str(value))
    if kind is float:
        return _answer("float", repr(value))
    if kind is str:
        return _answer("str", value)
    return _answer("repr", repr(value))

def _error(exc):
    import traceback
    # Hide this helper's own frames: the traceback starts at the user's code.
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == "<kiln>":
        tb = tb.tb_next
    text = "".join(traceback.format_exception(type(exc), exc, tb))
    return _answer("error", type(exc).__name__ + "\n" + text)

def _compile(source, flags):
    # Like a notebook cell: the value of a final expression statement is the result,
    # unless the code ends with a semicolon.
    tree = compile(source, "<exec>", "exec", _ast.PyCF_ONLY_AST | flags)
    last = None
    if tree.body and isinstance(tree.body[-1], _ast.Expr) and not source.rstrip().endswith(";"):
        last = _ast.Expression(tree.body.pop().value)
    body = compile(tree, "<exec>", "exec", flags)
    tail = compile(last, "<exec>", "eval", flags) if last is not None else None
    return body, tail

def _eval(code):
    # With top-level await allowed, code that awaits compiles to a coroutine: run it to the
    # end on one event loop that lives across calls.
    global _loop
    value = eval(code, _main)
    if code.co_flags & _CO_COROUTINE:
        import asyncio
        if _loop is None or _loop.is_closed():
            _loop = asyncio.new_event_loop()
        value = _loop.run_until_complete(value)
    return value

def _run(source, flags=0):
    try:
        body, tail = _compile(source, flags)
        _eval(body)
        answer = _encode(_eval(tail) if tail is not None else None)
    except BaseException as exc:
        answer = _error(exc)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return answer

def _run_async(source):
    return _run(source, _ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)

def _get(name):
    return _encode(_main[name]) if name in _main else _answer("undefined", "")

def _set(request):
    import json
    name, value = json.loads(request)
    _main[name] = value
    return _answer("none", "")

def _set_argv(request):
    sys.argv[:] = request.split("\x1f")
    return _answer("none", "")

def _find_imports(source):
    # Top-level names of the modules a snippet imports, anywhere in it (absolute imports only:
    # a relative one names a module of the snippet's own package). Code that does not parse
    # imports nothing here; running it reports the error.
    try:
        tree = compile(source, "<imports>", "exec",
                       _ast.PyCF_ONLY_AST | _ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    except (SyntaxError, ValueError):
        return _answer("str", "")
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
    return _answer("str", "\n".join(names))

def _packages_installed(site):
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
    return _answer("none", "")
