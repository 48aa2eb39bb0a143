// The bridge between JavaScript and Python in one runtime: the implicit conversions both ways,
// the table of JS values that Python holds (JsProxy), and the glue of the parts beside it:
// jsproxy.mjs (what Python calls: the built-in module `_kiln_js`), pyproxy.mjs (Python
// objects in JS: PyProxy; its traps and methods in pytraps.mjs and pymethods.mjs), convert.mjs
// (deep conversions: toJs, to_py, toPy).
//
// Implicit conversions (docs/runtime.md has the table): None ⇄ undefined, bool ⇄ boolean,
// int ⇄ number (BigInt beyond 2^53; a JS BigInt becomes JsBigInt), float → number, str ⇄
// string, jsnull ⇄ null. Anything else crosses as a proxy, and a proxy crossing back is
// unwrapped: the round trip gives the very same object.
//
// Ownership, in one rule: whoever receives a new proxy owns it. A JsProxy is a Python object:
// Python's reference counting frees it, and with it the JS value it held. A PyProxy holds a
// reference to its Python object until destroy() (or `using`), or until JS's garbage collector
// finalizes it (FinalizationRegistry); the one exception is a PyProxy made for an argument of a
// JS function called from Python: the call borrows it, and it is destroyed when the call
// returns (when the promise a call returns settles), unless it was made by create_proxy.

import { openCApi } from "./capi.mjs";
import { PY_ERR, PythonRaise, errorFromPython, jsError, raiseInPython } from "./errors.mjs";
import { jsFlags, JS_ERROR, JS_DOUBLE_PROXY, JS_CALLABLE } from "./jsproxy.mjs";
import { moduleFunctions } from "./jsmodule.mjs";
import { PyProxyFactory } from "./pyproxy.mjs";
import { toJsDeep, toPyDeep } from "./convert.mjs";

// Python ints whose magnitude is below this become Numbers, larger ones BigInts. Pyodide's
// documentation says "at most Number.MAX_SAFE_INTEGER", its code (and so this) "below": ±(2^53 - 1)
// is a BigInt in both.
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
// PyLongObject (3.12+): head, lv_tag at 8, the first 30-bit digit at 12. A tag below
// 2 << 3 is a compact (one digit or zero) int; its low two bits give the sign.
const LONG_TAG = 8;
const LONG_DIGIT = 12;

/** The bridge of one runtime (one emscripten module). */
export class Bridge {
  constructor(Module, { jsglobals = globalThis, version = "", node } = {}) {
    this.Module = Module;
    this.api = openCApi(Module);
    this.jsglobals = jsglobals;
    this.version = version;
    this.node = node; // Node's fs and child_process, for open_url (imported by boot.mjs)
    /** JS values held by Python: JsProxy address → { v: value, t: `this` for calls, f: flags }. */
    this.jsRefs = new Map();
    /** Python objects the JS side keeps (set by _kiln_ffi through _kiln_js.set_helpers). */
    this.helpers = {};
    this.classes = new Map(); // JS flags → JsProxy class (new reference)
    this.pyFlags = new Map(); // Python type → PyProxy flags (the type is kept alive)
    this.pyproxies = new PyProxyFactory(this);
    this.started = false;
    this.nullToNone = false; // loadPyodide's convertNullToNone
    this._moduleDef = undefined;
    this._argStack = this.api.malloc(4 * 4096);
    this._argTop = this._argStack;
  }

  /**
   * Registers the built-in module `_kiln_js`. Call once, before the interpreter starts (the
   * command line's main() as well as the API's own start find it there).
   */
  registerModule() {
    const { api } = this;
    const defs = moduleFunctions(this).map(([name, fn, kind]) =>
      api.methodDef(name, this.entry(fn, kind), kind));
    this._moduleDef = api.moduleDef("_kiln_js", api.methodTable(defs));
    const init = api.addFunction(() => {
      try {
        this.reset();
        const module = api.PyModule_Create2(this._moduleDef, api.PYTHON_API_VERSION);
        if (!module) return 0;
        const version = api.pyString(this.version);
        api.PyObject_SetAttr(module, api.name("version"), version);
        api.Py_DecRef(version);
        this.started = true;
        return module;
      } catch (e) {
        raiseInPython(this, e);
        return 0;
      }
    }, "i");
    if (api.PyImport_AppendInittab(api.cString("_kiln_js"), init) !== 0) {
      throw new Error("kiln: cannot register the module _kiln_js");
    }
  }

  /** Forgets what belonged to a previous interpreter (after Py_FinalizeEx). */
  reset() {
    this.api.reset();
    this.jsRefs.clear();
    this.helpers = {};
    this.classes.clear();
    this.pyFlags.clear();
    this.pyproxies.reset();
    this._argTop = this._argStack;
  }

  /**
   * A JS function as Python calls it: METH_FASTCALL `(self, args, nargs)` or with keywords
   * `(self, args, nargs, kwnames)`. `fn` gets (self, [args…], kwnames?, kwvalues?) and returns
   * a new reference; whatever it throws is raised in Python.
   */
  entry(fn, kind) {
    const { api } = this;
    if (kind === "keywords") {
      return (self, args, nargs, kwnames) => {
        try {
          const i32 = api.i32();
          const n = nargs & 0x7fffffff;
          const positional = [];
          for (let k = 0; k < n; k++) positional.push(i32[(args >> 2) + k]);
          let names, values;
          if (kwnames) {
            const count = api.PyTuple_Size(kwnames);
            names = [];
            values = [];
            for (let k = 0; k < count; k++) {
              names.push(api.jsString(api.PyTuple_GetItem(kwnames, k)));
              values.push(api.i32()[(args >> 2) + n + k]);
            }
          }
          return fn(self, positional, names, values);
        } catch (e) {
          raiseInPython(this, e);
          return 0;
        }
      };
    }
    return (self, args, nargs) => {
      try {
        const i32 = api.i32();
        const positional = [];
        for (let k = 0; k < nargs; k++) positional.push(i32[(args >> 2) + k]);
        return fn(self, positional);
      } catch (e) {
        raiseInPython(this, e);
        return 0;
      }
    };
  }

  /** Throws PY_ERR (the Python error is set) when a C API result says it failed. */
  check(result) {
    if (!result) throw PY_ERR;
    return result;
  }

  /** What JS callers get for an error thrown inside the bridge. */
  jsError(error) {
    return jsError(this, error);
  }

  /** The PythonError (or original JS error) for the Python exception that is set. */
  pythonError() {
    return errorFromPython(this);
  }

  /** The exception sys.last_exc holds (0 if none): a PythonError of it may go back. */
  lastException() {
    this._lastExcName ??= this.api.cString("last_exc");
    return this.api.PySys_GetObject(this._lastExcName); // borrowed; 0 if unset
  }

  /** A Python object's type name as Pyodide's PyProxy.type gives it ("dict", "collections.OrderedDict"). */
  typeName(type, qualified = true) {
    const { api } = this;
    if (!qualified) {
      const name = api.PyObject_GetAttr(type, api.name("__name__"));
      if (!name) throw PY_ERR;
      const text = api.jsString(name);
      api.Py_DecRef(name);
      return text;
    }
    const text = api.PyObject_CallOneArg(this.helpers.type_name, type);
    if (!text) throw PY_ERR;
    const result = api.jsString(text);
    api.Py_DecRef(text);
    return result;
  }

  // --- the argument stack: vectors for PyObject_Vectorcall, nested calls stacked ---------------

  /** Room for `n` PyObject* arguments; give it back with popArgs(n) after the call. */
  pushArgs(n) {
    const at = this._argTop;
    if (at + 4 * n > this._argStack + 4 * 4096) throw new Error("kiln: calls nested too deep");
    this._argTop += 4 * n;
    return at;
  }

  popArgs(n) {
    this._argTop -= 4 * n;
  }

  // --- implicit conversions ---------------------------------------------------------------------

  /** A JS value as a new reference to a Python object (see the module documentation). */
  toPy(value, thisValue) {
    const { api } = this;
    switch (typeof value) {
      case "string":
        return this.check(api.pyString(value));
      case "number":
        if (Number.isInteger(value)) {
          if (value >= -0x80000000 && value <= 0x7fffffff) return this.check(api.PyLong_FromLong(value));
          if (Math.abs(value) <= Number.MAX_SAFE_INTEGER) return this.check(api.PyLong_FromDouble(value));
        }
        return this.check(api.PyFloat_FromDouble(value));
      case "boolean":
        return api.incref(value ? api.True : api.False);
      case "undefined":
        return api.incref(api.None);
      case "bigint":
        return this.bigintToPy(value);
      case "object":
        if (value === null) return api.incref(this.nullToNone ? api.None : this.helpers.jsnull ?? api.None);
      // fall through
      case "function": {
        const state = this.pyproxies.stateOf(value);
        if (state !== undefined) {
          if (state.roundtrip) {
            return this.newJsProxy(value, undefined,
              JS_DOUBLE_PROXY | (typeof value === "function" ? JS_CALLABLE : 0));
          }
          return api.incref(this.pyproxies.pointer(state));
        }
        return this.newJsProxy(value, thisValue);
      }
      default:
        return this.newJsProxy(value, thisValue);
    }
  }

  bigintToPy(value) {
    const { api } = this;
    let int;
    if (value >= -(2n ** 63n) && value < 2n ** 63n) {
      int = this.check(api.PyLong_FromLongLong(value));
    } else {
      const text = api.cString((value < 0n ? "-" : "") + (value < 0n ? -value : value).toString(16));
      int = api.PyLong_FromString(text, 0, 16);
      api.free(text);
      this.check(int);
    }
    const result = api.PyObject_CallOneArg(this.helpers.JsBigInt, int);
    api.Py_DecRef(int);
    return this.check(result);
  }

  /**
   * A Python object (borrowed) as a JS value. Objects without an implicit conversion become a
   * new PyProxy: owned by the receiver, or, with `borrowed` (an array), by the current call,
   * which destroys it when it returns.
   */
  toJs(object, borrowed) {
    const { api } = this;
    if (object === api.None) return undefined;
    if (object === api.True) return true;
    if (object === api.False) return false;
    const type = api.typeOf(object);
    if (type === api.PyUnicode_Type) return this.strToJs(object);
    if (type === api.PyLong_Type) return this.intToJs(object);
    if (type === api.PyFloat_Type) return api.floatValue(object);
    const entry = this.jsRefs.get(object);
    if (entry !== undefined) return entry.v;
    if (object === this.helpers.jsnull) return null;
    if (type === this.helpers.JsBigInt) {
      const n = this.intToJs(object);
      return typeof n === "bigint" ? n : BigInt(n);
    }
    const flags = api.typeFlags(type);
    if (flags & api.TPFLAGS_LONG_SUBCLASS) return this.intToJs(object);
    if (flags & api.TPFLAGS_UNICODE_SUBCLASS) return this.strToJs(object);
    if (api.PyType_IsSubtype(type, api.PyFloat_Type)) return api.PyFloat_AsDouble(object);
    return this.pyproxies.create(object, { borrowed });
  }

  strToJs(object) {
    const text = this.api.jsString(object);
    if (text === undefined) throw PY_ERR;
    return text;
  }

  /** A Python int (borrowed): a number, or a BigInt beyond 2^53. */
  intToJs(object) {
    const { api } = this;
    const i32 = api.i32();
    const tag = i32[(object + LONG_TAG) >> 2] >>> 0;
    if (tag < 16) {
      const digit = i32[(object + LONG_DIGIT) >> 2];
      return (tag & 3) === 2 ? -digit : (tag & 3) === 1 ? 0 : digit;
    }
    const value = api.PyLong_AsLongLongAndOverflow(object, api.scratch);
    if (api.load32(api.scratch) === 0) {
      if (value === -1n && api.PyErr_Occurred()) throw PY_ERR;
      return value > -MAX_SAFE && value < MAX_SAFE ? Number(value) : value;
    }
    const hex = api.PyNumber_ToBase(object, 16);
    if (!hex) throw PY_ERR;
    const text = api.jsString(hex);
    api.Py_DecRef(hex);
    return text.startsWith("-") ? -BigInt(text.slice(1)) : BigInt(text);
  }

  // --- JsProxy ----------------------------------------------------------------------------------

  /**
   * A new JsProxy of `value` (`thisValue` is `this` when it is called); `flags` (what it can
   * do, jsproxy.mjs) are found out from the value unless given.
   */
  newJsProxy(value, thisValue, flags = jsFlags(value)) {
    const { api } = this;
    const cls = this.jsProxyClass(flags);
    let object;
    if (flags & JS_ERROR) {
      object = this.check(api.PyObject_CallOneArg(this.helpers.new_jsexception, cls));
    } else {
      object = this.check(api.PyType_GenericAlloc(cls, 0));
    }
    this.jsRefs.set(object, { v: value, t: thisValue, f: flags });
    return object;
  }

  jsProxyClass(flags) {
    let cls = this.classes.get(flags);
    if (cls === undefined) {
      const { api } = this;
      const n = this.check(api.PyLong_FromLong(flags));
      cls = api.PyObject_CallOneArg(this.helpers.jsproxy_class, n);
      api.Py_DecRef(n);
      this.check(cls);
      this.classes.set(flags, cls);
    }
    return cls;
  }

  /** A new reference to the Python exception for a thrown JS value (a JsException). */
  newJsException(error) {
    if (typeof error !== "object" && typeof error !== "function" || error === null) {
      // A thrown string or number: Python needs an object with name, message and stack.
      const wrapped = new Error(String(error));
      wrapped.name = "Error";
      error = wrapped;
    }
    return this.newJsProxy(error, undefined, JS_ERROR);
  }

  /** Prints the Python error that is set to stderr (where nothing else can take it). */
  printError() {
    this.api.PyErr_Print();
    this.flushOutput();
  }

  /** Passes on unfinished output lines (set by the API: the streams' flush). */
  flushOutput() {
    this.onFlush?.();
  }

  // --- calling Python from JS -------------------------------------------------------------------

  /**
   * Calls the Python callable `callable` (borrowed) with JS arguments (and keyword arguments,
   * an object); returns the result as a JS value owned by the caller.
   */
  callPython(callable, args, kwargs) {
    const { api } = this;
    const names = kwargs ? Object.keys(kwargs) : [];
    const n = args.length + names.length;
    const argv = this.pushArgs(n);
    let done = 0;
    let kwnames = 0;
    try {
      for (; done < args.length; done++) api.store32(argv + 4 * done, this.toPy(args[done]));
      for (const name of names) {
        api.store32(argv + 4 * done, this.toPy(kwargs[name]));
        done++;
      }
      if (names.length) {
        kwnames = this.check(api.PyTuple_New(names.length));
        names.forEach((name, k) => api.PyTuple_SetItem(kwnames, k, this.check(api.pyString(name))));
      }
      const result = api.PyObject_Vectorcall(callable, argv, args.length, kwnames);
      if (!result) throw PY_ERR;
      try {
        return this.toJs(result);
      } finally {
        api.Py_DecRef(result);
      }
    } finally {
      for (let k = 0; k < done; k++) api.Py_DecRef(api.load32(argv + 4 * k));
      if (kwnames) api.Py_DecRef(kwnames);
      this.popArgs(n);
    }
  }

  /** Calls a Python callable with Python arguments (new references, consumed); a new reference. */
  callWithRefs(callable, refs) {
    const { api } = this;
    const argv = this.pushArgs(refs.length);
    try {
      refs.forEach((ref, k) => api.store32(argv + 4 * k, ref));
      return api.PyObject_Vectorcall(callable, argv, refs.length, 0);
    } finally {
      for (const ref of refs) api.Py_DecRef(ref);
      this.popArgs(refs.length);
    }
  }

  // --- deep conversions (convert.mjs) ------------------------------------------------------------

  toJsDeep(object, options) {
    return toJsDeep(this, object, options);
  }

  toPyDeep(value, options) {
    return toPyDeep(this, value, options);
  }

  /** Raises a Python exception of class `typeAddress` (an api.PyExc_* address) from JS code. */
  raise(typeAddress, message) {
    throw new PythonRaise(typeAddress, message);
  }

  /** Numbers for tests: live proxies and the wasm heap. */
  stats() {
    return {
      jsProxies: this.jsRefs.size,
      pyProxies: this.pyproxies.live,
      heapBytes: this.api.memory.buffer.byteLength,
    };
  }
}
