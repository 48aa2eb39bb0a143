// Python objects in JavaScript: PyProxy. A PyProxy is a JS Proxy whose traps forward to the
// Python object (attributes, calls); its methods (toJs, destroy, get, set, has, iteration,
// then…) come from a prototype made for what the object's type offers, so `then` exists
// only on awaitables and `length` only where len() works, as in Pyodide.
//
// Lifetime: a PyProxy holds one reference to its object. destroy() (or `using`) gives it
// back; otherwise a FinalizationRegistry does when JS collects the proxy. A PyProxy made for
// an argument of a JS function that Python calls is borrowed: the call destroys it when it
// returns (bridge.mjs explains who owns what).

import { PY_ERR, errorFromException } from "./errors.mjs";

// What a Python type offers (computed by _kiln_ffi._pyproxy_flags, which has the same bits).
const PY_HAS_LENGTH = 1 << 0;
const PY_HAS_GET = 1 << 1;
const PY_HAS_SET = 1 << 2;
const PY_HAS_CONTAINS = 1 << 3;
const PY_ITERABLE = 1 << 4;
const PY_ITERATOR = 1 << 5;
const PY_AWAITABLE = 1 << 6;
const PY_BUFFER = 1 << 7;
const PY_CALLABLE = 1 << 8;
const PY_ASYNC_ITERABLE = 1 << 9;
const PY_ASYNC_ITERATOR = 1 << 10;
const PY_GENERATOR = 1 << 11;
const PY_ASYNC_GENERATOR = 1 << 12;
const PY_SEQUENCE = 1 << 13;
const PY_MUTABLE_SEQUENCE = 1 << 14;
const PY_DICT = 1 << 15;

const BORROWED_MESSAGE = "This borrowed proxy was automatically destroyed at the end of a function " +
  "call. Try using create_proxy or create_once_callable.";
const DESTROYED_MESSAGE = "Object has already been destroyed";
// Py_buffer request: strides and format, read-only allowed (PyBUF_RECORDS_RO).
const PYBUF_RECORDS_RO = 0x1c;

/** Every PyProxy of every runtime → its state. */
const proxyStates = new WeakMap();
/** The state key on a proxy's target (the traps read it there). */
const STATE = Symbol("kiln.pyproxy");

function stateOfThis(proxy) {
  const state = proxyStates.get(proxy);
  if (state === undefined) throw new TypeError("not a PyProxy");
  return state;
}

/** The object's address, or an Error if the proxy cannot be used any more. */
function alive(state) {
  if (state.destroyed) throw new Error(state.destroyed);
  if (state.generation !== state.factory.generation) {
    throw new Error("The Python interpreter this proxy belonged to has been stopped");
  }
  return state.ptr;
}

/** Runs `fn(b, ptr)` for a proxy method; C API failures surface as PythonError. */
function withObject(proxy, fn) {
  const state = stateOfThis(proxy);
  const ptr = alive(state);
  const b = state.factory.b;
  try {
    return fn(b, ptr, state);
  } catch (e) {
    throw b.jsError(e);
  }
}

const isIndex = (prop) => /^(0|[1-9][0-9]*)$/.test(prop);

/** A Python attribute (or, for dicts, item) named `prop`: a JS value, undefined if absent. */
function getAttribute(b, state, prop) {
  const { api } = b;
  const ptr = alive(state);
  if (state.flags & PY_SEQUENCE && isIndex(prop)) {
    return getItem(b, ptr, () => api.PyLong_FromDouble(Number(prop)));
  }
  const name = b.check(api.pyString(prop));
  try {
    const found = api.PyObject_GetOptionalAttr(ptr, name, api.scratch);
    if (found < 0) throw PY_ERR;
    if (found > 0) {
      const value = api.load32(api.scratch);
      try {
        return b.toJs(value);
      } finally {
        api.Py_DecRef(value);
      }
    }
    if (state.flags & PY_DICT) return getItem(b, ptr, () => api.incref(name));
    return undefined;
  } finally {
    api.Py_DecRef(name);
  }
}

/** obj[key] as a JS value; a missing key or index is undefined. */
function getItem(b, ptr, makeKey) {
  const { api } = b;
  const key = b.check(makeKey());
  const value = api.PyObject_GetItem(ptr, key);
  api.Py_DecRef(key);
  if (!value) {
    if (api.PyErr_ExceptionMatches(api.load32(api.PyExc_KeyError)) ||
        api.PyErr_ExceptionMatches(api.load32(api.PyExc_IndexError))) {
      api.PyErr_Clear();
      return undefined;
    }
    throw PY_ERR;
  }
  try {
    return b.toJs(value);
  } finally {
    api.Py_DecRef(value);
  }
}

function hasAttribute(b, state, prop) {
  const { api } = b;
  const ptr = alive(state);
  if (state.flags & PY_SEQUENCE && isIndex(prop)) {
    const n = api.PyObject_Length(ptr);
    if (n < 0) throw PY_ERR;
    return Number(prop) < n;
  }
  const name = b.check(api.pyString(prop));
  try {
    const found = api.PyObject_GetOptionalAttr(ptr, name, api.scratch);
    if (found < 0) throw PY_ERR;
    if (found > 0) {
      api.Py_DecRef(api.load32(api.scratch));
      return true;
    }
    if (state.flags & PY_DICT) {
      const contains = api.PySequence_Contains(ptr, name);
      if (contains < 0) throw PY_ERR;
      return contains > 0;
    }
    return false;
  } finally {
    api.Py_DecRef(name);
  }
}

/** Calls the Python callable (with `this` first when the proxy captures it). */
function callObject(state, thisArg, args, kwargs) {
  const b = state.factory.b;
  const ptr = alive(state);
  try {
    return b.callPython(ptr, state.captureThis ? [thisArg, ...args] : args, kwargs);
  } catch (e) {
    throw b.jsError(e);
  }
}

/** Adds a dict's str keys to `keys`. */
function dictKeys(b, ptr, keys) {
  const { api } = b;
  const slots = b.pushArgs(3);
  try {
    api.store32(slots, 0);
    while (api.PyDict_Next(ptr, slots, slots + 4, slots + 8)) {
      const key = api.load32(slots + 4);
      if (api.typeFlags(api.typeOf(key)) & api.TPFLAGS_UNICODE_SUBCLASS) keys.add(b.strToJs(key));
    }
  } finally {
    b.popArgs(3);
  }
}

const HANDLER = {
  get(target, prop, receiver) {
    const state = target[STATE];
    const proto = state.proto;
    if (typeof prop === "symbol" || prop in proto) return Reflect.get(proto, prop, receiver);
    const b = state.factory.b;
    try {
      return getAttribute(b, state, prop);
    } catch (e) {
      throw b.jsError(e);
    }
  },
  set(target, prop, value) {
    const state = target[STATE];
    if (typeof prop === "symbol") return Reflect.set(target, prop, value);
    const b = state.factory.b;
    const { api } = b;
    try {
      const ptr = alive(state);
      const object = b.toPy(value);
      try {
        if (state.flags & PY_MUTABLE_SEQUENCE && isIndex(prop)) {
          const key = b.check(api.PyLong_FromDouble(Number(prop)));
          const result = api.PyObject_SetItem(ptr, key, object);
          api.Py_DecRef(key);
          if (result < 0) throw PY_ERR;
        } else {
          const name = b.check(api.pyString(prop));
          const result = api.PyObject_SetAttr(ptr, name, object);
          api.Py_DecRef(name);
          if (result < 0) throw PY_ERR;
        }
      } finally {
        api.Py_DecRef(object);
      }
      return true;
    } catch (e) {
      throw b.jsError(e);
    }
  },
  has(target, prop) {
    const state = target[STATE];
    if (typeof prop === "symbol" || prop in state.proto) return prop in state.proto || prop in target;
    const b = state.factory.b;
    try {
      return hasAttribute(b, state, prop);
    } catch (e) {
      throw b.jsError(e);
    }
  },
  deleteProperty(target, prop) {
    const state = target[STATE];
    if (typeof prop === "symbol") return Reflect.deleteProperty(target, prop);
    const b = state.factory.b;
    const { api } = b;
    try {
      const ptr = alive(state);
      const name = b.check(api.pyString(prop));
      const result = api.PyObject_SetAttr(ptr, name, 0);
      api.Py_DecRef(name);
      if (result < 0) throw PY_ERR;
      return true;
    } catch (e) {
      throw b.jsError(e);
    }
  },
  ownKeys(target) {
    const state = target[STATE];
    const b = state.factory.b;
    const { api } = b;
    try {
      const list = b.check(api.PyObject_Dir(alive(state)));
      try {
        const keys = new Set();
        const n = api.PyList_Size(list);
        for (let k = 0; k < n; k++) keys.add(b.strToJs(api.PyList_GetItem(list, k)));
        if (state.flags & PY_DICT) dictKeys(b, state.ptr, keys);
        return [...keys, ...Reflect.ownKeys(target).filter((k) => typeof k === "symbol")];
      } finally {
        api.Py_DecRef(list);
      }
    } catch (e) {
      throw b.jsError(e);
    }
  },
  getOwnPropertyDescriptor(target, prop) {
    if (typeof prop === "symbol") return Reflect.getOwnPropertyDescriptor(target, prop);
    const state = target[STATE];
    // Only a dict's keys are enumerable properties (Object.keys, JSON.stringify, spreading),
    // as in Pyodide; attributes are reachable but not listed.
    if (!(state.flags & PY_DICT) || prop in state.proto) return undefined;
    const b = state.factory.b;
    try {
      const ptr = alive(state);
      const key = b.check(b.api.pyString(prop));
      const contains = b.api.PySequence_Contains(ptr, key);
      b.api.Py_DecRef(key);
      if (contains < 0) throw PY_ERR;
      if (!contains) return undefined;
      return { value: getItem(b, ptr, () => b.api.pyString(prop)), writable: true, enumerable: true, configurable: true };
    } catch (e) {
      throw b.jsError(e);
    }
  },
  getPrototypeOf(target) {
    return target[STATE].proto;
  },
  apply(target, thisArg, args) {
    return callObject(target[STATE], thisArg, args);
  },
};

// --- the methods, by what the type offers -------------------------------------------------------

/** Methods every PyProxy has. */
const BASE = {
  get [Symbol.toStringTag]() {
    return "PyProxy";
  },
  /** The Python type's name ("dict", "collections.OrderedDict"). */
  get type() {
    return withObject(this, (b, ptr) => b.typeName(b.api.typeOf(ptr)));
  },
  /** str() of the object. */
  toString() {
    return withObject(this, (b, ptr) => {
      const text = b.check(b.api.PyObject_Str(ptr));
      try {
        return b.strToJs(text);
      } finally {
        b.api.Py_DecRef(text);
      }
    });
  },
  /** Gives the Python object back: the proxy cannot be used afterwards. */
  destroy(options = {}) {
    const state = stateOfThis(this);
    state.factory.destroy(state, options.message);
  },
  [Symbol.dispose]() {
    this.destroy();
  },
  /** A new PyProxy of the same object (its own reference: destroy each). */
  copy() {
    return withObject(this, (b, ptr, state) =>
      state.factory.create(ptr, { captureThis: state.captureThis, roundtrip: state.roundtrip }));
  },
  /** A deep conversion to JS (lists → Array, dict → Object, set → Set, buffers → typed arrays). */
  toJs({ depth = -1, pyproxies, create_pyproxies = true, dict_converter, default_converter,
    eager_converter } = {}) {
    return withObject(this, (b, ptr) => b.toJsDeep(ptr, {
      depth, pyproxies, createPyProxies: create_pyproxies, dictConverter: dict_converter,
      defaultConverter: default_converter, eagerConverter: eager_converter,
    }));
  },
};

const WITH_LENGTH = {
  /** len() of the object. */
  get length() {
    return withObject(this, (b, ptr) => {
      const n = b.api.PyObject_Length(ptr);
      if (n < 0) throw PY_ERR;
      return n;
    });
  },
};

const WITH_GET = {
  /** obj[key]; undefined when the key or index is missing. */
  get(key) {
    return withObject(this, (b, ptr) => getItem(b, ptr, () => b.toPy(key)));
  },
};

const WITH_SET = {
  /** obj[key] = value. */
  set(key, value) {
    withObject(this, (b, ptr) => {
      const k = b.toPy(key);
      const v = b.toPy(value);
      const result = b.api.PyObject_SetItem(ptr, k, v);
      b.api.Py_DecRef(k);
      b.api.Py_DecRef(v);
      if (result < 0) throw PY_ERR;
    });
  },
  /** del obj[key]. */
  delete(key) {
    withObject(this, (b, ptr) => {
      const k = b.toPy(key);
      const result = b.api.PyObject_DelItem(ptr, k);
      b.api.Py_DecRef(k);
      if (result < 0) throw PY_ERR;
    });
  },
};

const WITH_HAS = {
  /** key in obj. */
  has(key) {
    return withObject(this, (b, ptr) => {
      const k = b.toPy(key);
      const result = b.api.PySequence_Contains(ptr, k);
      b.api.Py_DecRef(k);
      if (result < 0) throw PY_ERR;
      return result > 0;
    });
  },
};

/** iter(obj): each value converted (a PyProxy where needed, owned by the receiver). */
function* iterate(proxy) {
  const state = stateOfThis(proxy);
  const b = state.factory.b;
  const { api } = b;
  let iterator;
  try {
    iterator = b.check(api.PyObject_GetIter(alive(state)));
  } catch (e) {
    throw b.jsError(e);
  }
  try {
    for (;;) {
      let value;
      try {
        const item = api.PyIter_Next(iterator);
        if (!item) {
          if (api.PyErr_Occurred()) throw PY_ERR;
          return;
        }
        try {
          value = b.toJs(item);
        } finally {
          api.Py_DecRef(item);
        }
      } catch (e) {
        throw b.jsError(e);
      }
      yield value;
    }
  } finally {
    api.Py_DecRef(iterator);
  }
}

const ITERABLE = {
  [Symbol.iterator]() {
    return iterate(this);
  },
};

/**
 * Calls a method of the object; StopIteration ends the iteration ({done: true, value}).
 * Returns { done, value } as JS's iterator protocol has it.
 */
function iteratorStep(proxy, method, args) {
  return withObject(proxy, (b, ptr) => {
    const { api } = b;
    let result;
    if (method === "__next__") {
      result = api.PyIter_Next(ptr);
      if (!result && !api.PyErr_Occurred()) return { done: true, value: undefined };
    } else {
      const fn = b.check(api.PyObject_GetAttr(ptr, api.name(method)));
      try {
        result = b.callWithRefs(fn, args.map((a) => b.toPy(a)));
      } finally {
        api.Py_DecRef(fn);
      }
    }
    if (!result) {
      if (api.PyErr_ExceptionMatches(api.load32(api.PyExc_StopIteration))) {
        const exc = api.PyErr_GetRaisedException();
        const value = api.PyObject_GetAttr(exc, api.name("value"));
        api.Py_DecRef(exc);
        b.check(value);
        try {
          return { done: true, value: b.toJs(value) };
        } finally {
          api.Py_DecRef(value);
        }
      }
      throw PY_ERR;
    }
    try {
      return { done: false, value: b.toJs(result) };
    } finally {
      api.Py_DecRef(result);
    }
  });
}

const ITERATOR = {
  /** next(obj) (send(value) for a generator). */
  next(value) {
    const state = stateOfThis(this);
    if (state.flags & PY_GENERATOR) return iteratorStep(this, "send", [value]);
    return iteratorStep(this, "__next__", []);
  },
  [Symbol.iterator]() {
    return this;
  },
};

const GENERATOR = {
  /** Closes the generator; { done: true, value }. */
  return(value) {
    callMethod(this, "close", []);
    return { done: true, value };
  },
  /** gen.throw(error). */
  throw(error) {
    return iteratorStep(this, "throw", [error]);
  },
};

/** A promise of what the awaitable gives (asyncio.ensure_future on the running loop). */
function awaitablePromise(proxy) {
  const state = stateOfThis(proxy);
  if (state.promise) return state.promise;
  state.promise = new Promise((resolve, reject) => {
    withObject(proxy, (b, ptr) => {
      const { api } = b;
      const settle = (ok, value) => {
        if (ok) {
          const inner = proxyStates.get(value);
          resolve(inner !== undefined && inner.borrowed ? value.copy() : value);
        } else {
          const inner = proxyStates.get(value);
          reject(inner !== undefined ? errorFromException(b, inner.ptr) : value);
        }
      };
      const callback = b.toPy(settle);
      const result = b.callWithRefs(b.helpers.awaitable_then, [api.incref(ptr), callback]);
      b.check(result);
      api.Py_DecRef(result);
    });
  });
  return state.promise;
}

const AWAITABLE = {
  then(onFulfilled, onRejected) {
    return awaitablePromise(this).then(onFulfilled, onRejected);
  },
  catch(onRejected) {
    return awaitablePromise(this).catch(onRejected);
  },
  finally(onFinally) {
    return awaitablePromise(this).finally(onFinally);
  },
};

/** async iteration: each __anext__() awaited; StopAsyncIteration ends it. */
async function* iterateAsync(proxy) {
  const state = stateOfThis(proxy);
  const b = state.factory.b;
  const { api } = b;
  let iterator;
  try {
    iterator = b.check(api.PyObject_CallOneArg(b.helpers.aiter, alive(state)));
  } catch (e) {
    throw b.jsError(e);
  }
  const iteratorProxy = b.pyproxies.create(iterator);
  api.Py_DecRef(iterator);
  try {
    for (;;) {
      let step;
      try {
        step = await asyncStep(iteratorProxy, "__anext__", []);
      } catch (e) {
        throw b.jsError(e);
      }
      if (step.done) return;
      yield step.value;
    }
  } finally {
    iteratorProxy.destroy();
  }
}

/** Awaits obj.method(*args); StopAsyncIteration is { done: true }. */
async function asyncStep(proxy, method, args) {
  const state = stateOfThis(proxy);
  const b = state.factory.b;
  const awaitable = withObject(proxy, (b, ptr) => {
    const fn = b.check(b.api.PyObject_GetAttr(ptr, b.api.name(method)));
    try {
      const result = b.check(b.callWithRefs(fn, args.map((a) => b.toPy(a))));
      try {
        return b.pyproxies.create(result);
      } finally {
        b.api.Py_DecRef(result);
      }
    } finally {
      b.api.Py_DecRef(fn);
    }
  });
  try {
    return { done: false, value: await awaitable };
  } catch (e) {
    if (e && e.type === "StopAsyncIteration") return { done: true, value: undefined };
    throw e;
  } finally {
    awaitable.destroy();
    void state;
  }
}

const ASYNC_ITERABLE = {
  [Symbol.asyncIterator]() {
    return iterateAsync(this);
  },
};

const ASYNC_ITERATOR = {
  next(value) {
    const state = stateOfThis(this);
    return state.flags & PY_ASYNC_GENERATOR ? asyncStep(this, "asend", [value]) : asyncStep(this, "__anext__", []);
  },
  [Symbol.asyncIterator]() {
    return this;
  },
};

const ASYNC_GENERATOR = {
  throw(error) {
    return asyncStep(this, "athrow", [error]);
  },
  async return(value) {
    await asyncStep(this, "aclose", []);
    return { done: true, value };
  },
};

const CALLABLE = {
  /** Calls with keyword arguments: the last argument is an object of them. */
  callKwargs(...args) {
    const kwargs = args.pop();
    if (kwargs === null || typeof kwargs !== "object") {
      throw new TypeError("callKwargs needs an object of keyword arguments as its last argument");
    }
    return callObject(stateOfThis(this), undefined, args, kwargs);
  },
  /** Calls with `this` and keyword arguments given explicitly. */
  callWithOptions({ self, kwargs } = {}, ...args) {
    const state = stateOfThis(this);
    return callObject(state, self, args, kwargs);
  },
  /** A new proxy of the same callable that passes JS's `this` as the first argument. */
  captureThis() {
    return withObject(this, (b, ptr, state) =>
      state.factory.create(ptr, { captureThis: true, roundtrip: state.roundtrip }));
  },
};

// Typed array constructors for a buffer's struct format (getBuffer).
const FORMAT_ARRAYS = {
  b: Int8Array, B: Uint8Array, c: Uint8Array, "?": Uint8Array, h: Int16Array, H: Uint16Array,
  i: Int32Array, I: Uint32Array, l: Int32Array, L: Uint32Array, q: BigInt64Array,
  Q: BigUint64Array, n: Int32Array, N: Uint32Array, f: Float32Array, d: Float64Array,
  e: typeof Float16Array === "function" ? Float16Array : Uint16Array,
};
const TYPE_ARRAYS = {
  i8: Int8Array, u8: Uint8Array, u8clamped: Uint8ClampedArray, i16: Int16Array,
  u16: Uint16Array, i32: Int32Array, u32: Uint32Array, i64: BigInt64Array, u64: BigUint64Array,
  f32: Float32Array, f64: Float64Array, dataview: DataView,
};

/** A view of a Python buffer's memory, without a copy (PyProxy.getBuffer). */
export class PyBufferView {
  constructor(fields) {
    Object.assign(this, fields);
  }
  /** Gives the buffer back (numpy may resize an array again, for instance). */
  release() {
    if (this._released) return;
    this._released = true;
    this._release();
  }
  [Symbol.dispose]() {
    this.release();
  }
}

const BUFFER = {
  /**
   * The object's buffer as a typed array over the wasm memory (no copy); `type` picks the
   * array type ("u8", "f64"…), by default the buffer's format. Call release() when done. The
   * view is invalid once the wasm memory grows (its ArrayBuffer is then detached).
   */
  getBuffer(type) {
    return withObject(this, (b, ptr) => {
      const { api } = b;
      const view = api.malloc(44);
      if (api.PyObject_GetBuffer(ptr, view, PYBUF_RECORDS_RO) < 0) {
        api.free(view);
        throw PY_ERR;
      }
      const word = (k) => api.load32(view + 4 * k);
      const buf = word(0);
      const nbytes = word(2);
      const itemsize = word(3);
      const readonly = word(4) !== 0;
      const ndim = word(5);
      const formatPtr = word(6);
      const format = formatPtr ? api.Module.UTF8ToString(formatPtr) : "B";
      const shape = [];
      const strides = [];
      for (let k = 0; k < ndim; k++) {
        shape.push(api.load32(word(7) + 4 * k));
        strides.push(word(8) ? api.load32(word(8) + 4 * k) : 0);
      }
      // The lowest and highest byte the buffer spans (strides may be negative).
      let low = 0;
      let high = ndim ? itemsize : nbytes;
      for (let k = 0; k < ndim; k++) {
        if (shape[k] === 0) {
          high = low;
          break;
        }
        const span = (shape[k] - 1) * strides[k];
        if (span < 0) low += span;
        else high += span;
      }
      const code = format.replace(/^[@=<>!]/, "");
      const ArrayType = type === undefined ? FORMAT_ARRAYS[code] ?? Uint8Array : TYPE_ARRAYS[type];
      if (!ArrayType) throw new Error(`getBuffer: unknown type ${type}`);
      const element = ArrayType.BYTES_PER_ELEMENT ?? 1;
      const start = buf + low;
      const data = ArrayType === DataView
        ? new DataView(api.memory.buffer, start, high - low)
        : new ArrayType(api.memory.buffer, start, Math.floor((high - low) / element));
      let c = true;
      let f = true;
      for (let k = ndim - 1, expected = itemsize; k >= 0; expected *= shape[k], k--) {
        if (shape[k] > 1 && strides[k] !== expected) c = false;
      }
      for (let k = 0, expected = itemsize; k < ndim; expected *= shape[k], k++) {
        if (shape[k] > 1 && strides[k] !== expected) f = false;
      }
      return new PyBufferView({
        offset: -low / element,
        readonly, format, itemsize, ndim, nbytes, shape,
        strides: strides.map((s) => s / element),
        data, c_contiguous: c, f_contiguous: f, _released: false,
        _release: () => {
          api.PyBuffer_Release(view);
          api.free(view);
        },
      });
    });
  },
};

// A sequence proxy borrows Array's read-only methods (they read `length` and indices).
const SEQUENCE = {
  /** JSON.stringify sees an array. */
  toJSON() {
    return Array.from(this);
  },
};
Object.assign(SEQUENCE, Object.fromEntries(["at", "concat", "entries", "every", "filter", "find",
  "findIndex", "findLast", "findLastIndex", "forEach", "includes", "indexOf", "join", "keys",
  "lastIndexOf", "map", "reduce", "reduceRight", "slice", "some", "toReversed", "toSorted",
  "values"].filter((name) => typeof Array.prototype[name] === "function")
  .map((name) => [name, Array.prototype[name]])));

const MUTABLE_SEQUENCE = {
  /** list.append for each item; returns the new length. */
  push(...items) {
    for (const item of items) callMethod(this, "append", [item]);
    return this.length;
  },
  /** list.pop(); undefined when empty. */
  pop() {
    return this.length ? callMethod(this, "pop", []) : undefined;
  },
  shift() {
    return this.length ? callMethod(this, "pop", [0]) : undefined;
  },
  unshift(...items) {
    items.reverse().forEach((item) => callMethod(this, "insert", [0, item]));
    return this.length;
  },
  reverse() {
    callMethod(this, "reverse", []);
    return this;
  },
};

/** obj.method(*args) with JS arguments; the result as a JS value. */
function callMethod(proxy, method, args) {
  return withObject(proxy, (b, ptr) => {
    const fn = b.check(b.api.PyObject_GetAttr(ptr, b.api.name(method)));
    try {
      return b.callPython(fn, args);
    } finally {
      b.api.Py_DecRef(fn);
    }
  });
}

const MIXINS = [
  [PY_HAS_LENGTH, WITH_LENGTH], [PY_HAS_GET, WITH_GET], [PY_HAS_SET, WITH_SET],
  [PY_HAS_CONTAINS, WITH_HAS], [PY_ITERABLE, ITERABLE], [PY_ITERATOR, ITERATOR],
  [PY_GENERATOR, GENERATOR], [PY_AWAITABLE, AWAITABLE], [PY_ASYNC_ITERABLE, ASYNC_ITERABLE],
  [PY_ASYNC_ITERATOR, ASYNC_ITERATOR], [PY_ASYNC_GENERATOR, ASYNC_GENERATOR],
  [PY_CALLABLE, CALLABLE], [PY_BUFFER, BUFFER], [PY_SEQUENCE, SEQUENCE],
  [PY_MUTABLE_SEQUENCE, MUTABLE_SEQUENCE],
];

const prototypes = new Map();

/** The prototype of proxies whose type offers `flags`. */
function prototypeFor(flags) {
  let proto = prototypes.get(flags);
  if (proto === undefined) {
    proto = Object.create(flags & PY_CALLABLE ? Function.prototype : Object.prototype);
    Object.defineProperties(proto, Object.getOwnPropertyDescriptors(BASE));
    for (const [bit, methods] of MIXINS) {
      if (flags & bit) Object.defineProperties(proto, Object.getOwnPropertyDescriptors(methods));
    }
    // A non-generator iterator's next() takes no value; a generator's also return/throw.
    prototypes.set(flags, proto);
  }
  return proto;
}

// --- the classes JS code tests proxies against (pyodide.ffi.PyProxy, PyDict…) ------------------

/** `class` whose instanceof is true for proxies whose type offers all of `bits`. */
function proxyClass(name, bits) {
  const cls = {
    [name]: class {
      constructor() {
        throw new TypeError(`${name} is not a constructor`);
      }
      static [Symbol.hasInstance](value) {
        const state = proxyStates.get(value);
        return state !== undefined && (state.flags & bits) === bits;
      }
    },
  }[name];
  return cls;
}

export const PyProxy = proxyClass("PyProxy", 0);
/** The classes pyodide.ffi exports, by name. */
export const PYPROXY_CLASSES = {
  PyProxy,
  PyProxyWithLength: proxyClass("PyProxyWithLength", PY_HAS_LENGTH),
  PyProxyWithGet: proxyClass("PyProxyWithGet", PY_HAS_GET),
  PyProxyWithSet: proxyClass("PyProxyWithSet", PY_HAS_SET),
  PyProxyWithHas: proxyClass("PyProxyWithHas", PY_HAS_CONTAINS),
  PyDict: proxyClass("PyDict", PY_DICT),
  PyIterable: proxyClass("PyIterable", PY_ITERABLE),
  PyAsyncIterable: proxyClass("PyAsyncIterable", PY_ASYNC_ITERABLE),
  PyIterator: proxyClass("PyIterator", PY_ITERATOR),
  PyAsyncIterator: proxyClass("PyAsyncIterator", PY_ASYNC_ITERATOR),
  PyGenerator: proxyClass("PyGenerator", PY_GENERATOR),
  PyAsyncGenerator: proxyClass("PyAsyncGenerator", PY_ASYNC_GENERATOR),
  PyAwaitable: proxyClass("PyAwaitable", PY_AWAITABLE),
  PyCallable: proxyClass("PyCallable", PY_CALLABLE),
  PyBuffer: proxyClass("PyBuffer", PY_BUFFER),
  PySequence: proxyClass("PySequence", PY_SEQUENCE),
  PyMutableSequence: proxyClass("PyMutableSequence", PY_MUTABLE_SEQUENCE),
  PyBufferView,
};

/** The PyProxies of one runtime: creation, lifetime, and the live count. */
export class PyProxyFactory {
  constructor(b) {
    this.b = b;
    this.generation = 0;
    this.live = 0;
    this.registry = new FinalizationRegistry((state) => this.finalize(state));
  }

  /** Proxies of a stopped interpreter become unusable (and are never released into a new one). */
  reset() {
    this.generation++;
    this.live = 0;
    this.typeFlags = new Map();
  }

  stateOf(value) {
    return (typeof value === "object" || typeof value === "function") && value !== null
      ? proxyStates.get(value) : undefined;
  }

  pointer(state) {
    return alive(state);
  }

  /** What a PyProxy of an instance of `type` offers (asked of Python once per type). */
  flagsOf(type) {
    this.typeFlags ??= new Map();
    let flags = this.typeFlags.get(type);
    if (flags === undefined) {
      const { api } = this.b;
      const result = this.b.check(api.PyObject_CallOneArg(this.b.helpers.pyproxy_flags, type));
      flags = Number(this.b.intToJs(result));
      api.Py_DecRef(result);
      api.Py_IncRef(type); // the cache keys on its address: keep it
      this.typeFlags.set(type, flags);
    }
    return flags;
  }

  /**
   * A new PyProxy of `object` (borrowed: the proxy takes its own reference). Options:
   *   borrowed     an array: the proxy belongs to the current call, which destroys it
   *   captureThis  a call passes `this` as the first argument
   *   roundtrip    back in Python it is a JsDoubleProxy, not the object (create_proxy)
   */
  create(object, { borrowed, captureThis = false, roundtrip = false } = {}) {
    const { api } = this.b;
    const flags = this.flagsOf(api.typeOf(object));
    const state = {
      factory: this, generation: this.generation, ptr: object, flags,
      proto: prototypeFor(flags), destroyed: undefined, borrowed: borrowed !== undefined,
      captureThis, roundtrip, promise: undefined,
    };
    let target;
    if (flags & PY_CALLABLE) {
      target = () => {};
      // An arrow function's own length and name would hide the proxy's.
      delete target.length;
      delete target.name;
    } else {
      target = {};
    }
    Object.defineProperty(target, STATE, { value: state, configurable: true });
    const proxy = new Proxy(target, HANDLER);
    proxyStates.set(proxy, state);
    api.Py_IncRef(object);
    this.live++;
    if (borrowed !== undefined) borrowed.push(proxy);
    else this.registry.register(proxy, state, state);
    return proxy;
  }

  /** Gives one proxy methods of its own (in front of its prototype's). */
  extend(proxy, methods) {
    const state = proxyStates.get(proxy);
    state.proto = Object.create(state.proto, Object.getOwnPropertyDescriptors(methods));
  }

  destroy(state, message) {
    if (state.destroyed) return;
    state.destroyed = message ? `${DESTROYED_MESSAGE}: ${message}` : DESTROYED_MESSAGE;
    if (!state.borrowed) this.registry.unregister(state);
    if (state.generation === this.generation) {
      this.b.api.Py_DecRef(state.ptr);
      this.live--;
    }
  }

  /** Destroys the proxies a call borrowed. */
  destroyAll(proxies) {
    for (const proxy of proxies) {
      const state = proxyStates.get(proxy);
      if (state.destroyed) continue;
      this.destroy(state);
      state.destroyed = BORROWED_MESSAGE;
    }
    proxies.length = 0;
  }

  /** A proxy JS collected without destroy(): give its reference back. */
  finalize(state) {
    if (state.destroyed || state.generation !== this.generation) return;
    state.destroyed = DESTROYED_MESSAGE;
    this.b.api.Py_DecRef(state.ptr);
    this.live--;
  }
}
