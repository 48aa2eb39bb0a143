// A PyProxy's methods, by what its object's type offers: every proxy has BASE's (toJs, destroy,
// copy…); `length` only where len() works, `then` only on awaitables, `getBuffer` only on
// buffers, and so on, as in Pyodide. `prototypeFor` builds one prototype per set of flags.
// Methods that make another proxy (copy, captureThis) or give one back (destroy) ask the
// factory named by the proxy's state (pyhandle.mjs says why it is not imported).

import { PY_ERR, errorFromException } from "./errors.mjs";
import { PY_ASYNC_GENERATOR, PY_ASYNC_ITERABLE, PY_ASYNC_ITERATOR, PY_AWAITABLE, PY_BUFFER, PY_CALLABLE, PY_GENERATOR, PY_HAS_CONTAINS, PY_HAS_GET, PY_HAS_LENGTH, PY_HAS_SET, PY_ITERABLE, PY_ITERATOR, PY_MUTABLE_SEQUENCE, PY_SEQUENCE, alive, callObject, getItem, proxyStates, stateOfThis, withObject } from "./pyhandle.mjs";

// Py_buffer request: strides and format, read-only allowed (PyBUF_RECORDS_RO).
const PYBUF_RECORDS_RO = 0x1c;

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
export function prototypeFor(flags) {
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
