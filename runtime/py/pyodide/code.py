"""Running code: `eval_code` and `eval_code_async` (the value of a final expression is the
result, as in a notebook), `find_imports`, `should_quiet`, and `run_js` (JavaScript's eval)."""

import _kiln
import _kiln_js

__all__ = ["eval_code", "eval_code_async", "find_imports", "run_js", "should_quiet"]


def eval_code(source, globals=None, locals=None, *, filename="<exec>", **kwargs):
    """Runs `source` and returns the value of its last expression (None if it ends with `;`)."""
    return _kiln.eval_code(source, globals, locals, filename)


async def eval_code_async(source, globals=None, locals=None, *, filename="<exec>", **kwargs):
    """Like eval_code, with top-level `await` allowed."""
    return await _kiln.eval_code_async(source, globals, locals, filename)


def find_imports(source):
    """The top-level modules `source` imports (absolute imports, anywhere in it)."""
    text = _kiln.find_imports(source)
    return text.split("\n") if text else []


def should_quiet(source):
    """Whether the code ends with a semicolon (its value is then not shown)."""
    return source.rstrip().endswith(";")


def run_js(code, /):
    """Evaluates JavaScript `code` in the global scope and returns its value."""
    if not isinstance(code, str):
        raise TypeError(f"argument should have type 'string' not type '{type(code).__name__}'")
    return _kiln_js.global_get("eval")(code)
