// Errors across the bridge: a Python exception that reaches JavaScript becomes a PythonError
// (its message the traceback), a JavaScript error that reaches Python becomes a JsException
// (a JsProxy of the error, with the JS `stack`). A PythonError thrown back into Python raises
// the Python exception it was made from again (while it is still sys.last_exc); a JsException
// that reaches JavaScript is a PythonError whose `cause` is the JS error, as in Pyodide.

/**
 * Thrown inside the bridge when a C API call failed: the Python error indicator is set. At the
 * way out to JS callers it becomes a PythonError; at the way back into Python it stays set.
 */
export const PY_ERR = Symbol("kiln: the Python error indicator is set");

/** `error` as JS callers see it (PY_ERR replaced by the PythonError of the raised exception). */
export function jsError(b, error) {
  return error === PY_ERR ? errorFromPython(b) : error;
}

/** A Python exception that reached JavaScript; `message` is the formatted traceback. */
export class PythonError extends Error {
  /**
   * @param {string} type the exception's class name
   * @param {string} message the formatted traceback
   * @param {number} errorAddress the exception object's address (for the way back)
   */
  constructor(type, message, errorAddress = 0) {
    super(message);
    this.type = type;
    Object.defineProperty(this, "__error_address", { value: errorAddress, writable: true });
  }
}
Object.defineProperty(PythonError.prototype, "name", { value: "PythonError" });

/**
 * Takes the raised Python exception (the C API call that failed left it set) and returns the
 * JS error to throw for it. `b` is the bridge (bridge.mjs).
 */
export function errorFromPython(b) {
  const { api } = b;
  const exc = api.PyErr_GetRaisedException();
  if (!exc) return new Error("kiln: a Python call failed without an exception");
  try {
    return errorFromException(b, exc);
  } finally {
    api.Py_DecRef(exc);
  }
}

/** The JS error for a Python exception object (borrowed). */
export function errorFromException(b, exc) {
  const { api } = b;
  // A JsException that reaches JS is a PythonError too (of type "JsException", its traceback
  // showing where Python was), as in Pyodide; the JS error is its `cause`.
  const entry = b.jsRefs.get(exc);
  let type = "Exception";
  let message;
  let address = 0;
  try {
    type = b.typeName(api.typeOf(exc), false);
    const text = api.PyObject_CallOneArg(b.helpers.format_exception, exc);
    if (!text) throw new Error("format");
    message = api.jsString(text);
    api.Py_DecRef(text);
    // sys.last_exc (set by format_exception) keeps the exception alive.
    address = exc;
  } catch {
    api.PyErr_Clear();
    message = `${type}: (the traceback could not be formatted)`;
  }
  const error = new PythonError(type, message, address);
  if (entry !== undefined) error.cause = entry.v;
  return error;
}

/**
 * Raises `error` (anything a JS function threw) in Python as the result of the Python → JS
 * call that is ending: a JsException of it, or the original Python exception of a
 * PythonError that is still the last one.
 */
export function raiseInPython(b, error) {
  const { api } = b;
  if (error === PY_ERR) return; // already set by the C API call that failed
  if (error instanceof PythonRaise) {
    setPythonError(b, error.typeAddress, error.message);
    return;
  }
  if (error instanceof PythonError && error.__error_address &&
      error.__error_address === b.lastException()) {
    api.PyErr_SetRaisedException(api.incref(error.__error_address));
    return;
  }
  let exc;
  try {
    exc = b.newJsException(error);
  } catch (e) {
    api.PyErr_Clear();
    const text = api.cString(`kiln: a JavaScript error could not be passed to Python: ${e}`);
    api.PyErr_SetString(api.load32(api.PyExc_RuntimeError), text);
    api.free(text);
    return;
  }
  api.PyErr_SetRaisedException(exc);
}

/** A Python exception of class `typeAddress` (e.g. api.PyExc_KeyError's value) with `text`. */
export function setPythonError(b, typeAddress, text) {
  const { api } = b;
  const c = api.cString(String(text));
  api.PyErr_SetString(api.load32(typeAddress), c);
  api.free(c);
}

/** Thrown in JS code to raise a given Python exception class on the way back into Python. */
export class PythonRaise extends Error {
  constructor(typeAddress, message) {
    super(message);
    this.typeAddress = typeAddress;
  }
}
