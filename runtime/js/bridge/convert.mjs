// Deep conversions, the explicit ones: Python → JS (PyProxy.toJs, pyodide.ffi.to_js) turns
// lists and tuples into Arrays, dicts into Objects (or what `dict_converter` makes of the
// pairs), sets into Sets and buffers into typed arrays (copies); JS → Python (toPy,
// JsProxy.to_py) turns Arrays into lists, Maps and plain Objects into dicts, Sets into sets and
// buffers into memoryviews. Anything else crosses as a proxy. `depth` limits how far down the
// conversion goes (-1: all the way); a cache keeps shared and cyclic structures shared and
// cyclic. The implicit conversions underneath are bridge.mjs's.

import { PY_ERR } from "./errors.mjs";

/** Raises pyodide.ffi.ConversionError with `message` (unwinds to the entry or JS caller). */
function conversionError(b, message) {
  const { api } = b;
  const text = b.check(api.pyString(message));
  api.PyErr_SetObject(b.helpers.ConversionError, text);
  api.Py_DecRef(text);
  throw PY_ERR;
}

/** A short description of a Python object for error messages. */
function describe(b, object) {
  const { api } = b;
  const text = api.PyObject_Repr(object);
  if (!text) {
    api.PyErr_Clear();
    return "object";
  }
  const result = b.strToJs(text);
  api.Py_DecRef(text);
  return result;
}

/** A JS value that needs no conversion (an immutable one), or `undefined` with `found` false. */
function immediate(b, object) {
  const { api } = b;
  if (object === api.None) return [true, undefined];
  if (object === api.True) return [true, true];
  if (object === api.False) return [true, false];
  const type = api.typeOf(object);
  if (type === api.PyUnicode_Type) return [true, b.strToJs(object)];
  if (type === api.PyLong_Type) return [true, b.intToJs(object)];
  if (type === api.PyFloat_Type) return [true, api.floatValue(object)];
  const entry = b.jsRefs.get(object);
  if (entry !== undefined) return [true, entry.v];
  if (object === b.helpers.jsnull) return [true, null];
  const flags = api.typeFlags(type);
  if (type === b.helpers.JsBigInt) return [true, BigInt(b.intToJs(object))];
  if (flags & (api.TPFLAGS_LONG_SUBCLASS | api.TPFLAGS_UNICODE_SUBCLASS) ||
      api.PyType_IsSubtype(type, api.PyFloat_Type)) {
    return [true, b.toJs(object)];
  }
  return [false, undefined];
}

const BUFFER_ARRAYS = {
  b: Int8Array, B: Uint8Array, c: Uint8Array, h: Int16Array, H: Uint16Array, i: Int32Array,
  I: Uint32Array, l: Int32Array, L: Uint32Array, q: BigInt64Array, Q: BigUint64Array,
  n: Int32Array, N: Uint32Array, f: Float32Array, d: Float64Array,
};

/** A Python buffer's contents as a typed array (a copy), nested arrays beyond one dimension. */
function bufferToJs(b, object) {
  const { api } = b;
  const view = api.malloc(44);
  if (api.PyObject_GetBuffer(object, view, 0x1c /* PyBUF_RECORDS_RO */) < 0) {
    api.free(view);
    throw PY_ERR;
  }
  try {
    const word = (k) => api.load32(view + 4 * k);
    const buf = word(0);
    const itemsize = word(3);
    const ndim = word(5);
    const format = (word(6) ? api.Module.UTF8ToString(word(6)) : "B").replace(/^[@=<>!]/, "");
    const shape = [];
    const strides = [];
    for (let k = 0; k < ndim; k++) {
      shape.push(api.load32(word(7) + 4 * k));
      strides.push(api.load32(word(8) + 4 * k));
    }
    const ArrayType = BUFFER_ARRAYS[format];
    const read = (at, count, stride) => {
      if (format === "?") {
        const u8 = api.u8();
        return Array.from({ length: count }, (_, k) => u8[at + k * stride] !== 0);
      }
      if (format.endsWith("s") || !ArrayType) {
        const bytes = api.u8().slice(at, at + count * itemsize);
        return format.endsWith("s") ? new TextDecoder().decode(bytes) : bytes;
      }
      if (stride === itemsize) {
        // TypedArray.slice is the fastest copy out of the wasm memory (measured: 2.6 ms for
        // 8 MB, against 4-8 ms for ArrayBuffer.slice or set()); it needs aligned data.
        if (at % ArrayType.BYTES_PER_ELEMENT === 0) return new ArrayType(api.memory.buffer, at, count).slice();
        const result = new ArrayType(count);
        new Uint8Array(result.buffer).set(api.u8().subarray(at, at + count * itemsize));
        return result;
      }
      const result = new ArrayType(count);
      const bytes = new Uint8Array(result.buffer);
      const u8 = api.u8();
      for (let k = 0; k < count; k++) {
        bytes.set(u8.subarray(at + k * stride, at + k * stride + itemsize), k * itemsize);
      }
      return result;
    };
    if (ndim === 0) return read(buf, 1, itemsize)[0];
    const walk = (at, dim) => dim === ndim - 1
      ? read(at, shape[dim], strides[dim])
      : Array.from({ length: shape[dim] }, (_, k) => walk(at + k * strides[dim], dim + 1));
    return walk(buf, 0);
  } finally {
    api.PyBuffer_Release(view);
    api.free(view);
  }
}

/**
 * `object` (borrowed) converted to JS as deeply as `depth` says. Options (PyProxy.toJs's, and
 * to_js's from Python): depth, pyproxies (an array that receives the proxies made),
 * createPyProxies (false: a ConversionError instead of a proxy), dictConverter (a JS function
 * of an array of [key, value] pairs), defaultConverter / eagerConverter (JS functions of
 * (PyProxy, convert, cacheConversion)), pyDefaultConverter / pyEagerConverter (the same, as
 * Python callables).
 */
export function toJsDeep(b, object, options = {}) {
  const { api } = b;
  const {
    depth = -1, pyproxies, createPyProxies = true, dictConverter,
    defaultConverter, eagerConverter, pyDefaultConverter, pyEagerConverter,
  } = options;
  const cache = new Map();

  const proxyOf = (ptr) => {
    if (!createPyProxies) conversionError(b, `No conversion to JavaScript known for ${describe(b, ptr)}`);
    const proxy = b.pyproxies.create(ptr);
    if (pyproxies) pyproxies.push(proxy);
    return proxy;
  };

  // A converter's `convert` and `cacheConversion` arguments.
  const jsConvert = (level) => (value) => {
    const state = b.pyproxies.stateOf(value);
    return state === undefined ? value : convert(b.pyproxies.pointer(state), level - 1);
  };
  const jsCache = (value, result) => {
    const state = b.pyproxies.stateOf(value);
    if (state !== undefined) cache.set(b.pyproxies.pointer(state), result);
  };

  const callConverter = (converter, isPython, ptr, level, fallback) => {
    if (isPython) {
      const convertFn = b.toPy((value) => convertPy(value, level));
      const cacheFn = b.toPy((value, result) => cachePy(value, result));
      const result = b.callWithRefs(converter, [api.incref(ptr), convertFn, cacheFn]);
      b.check(result);
      try {
        return b.toJs(result);
      } finally {
        api.Py_DecRef(result);
      }
    }
    const proxy = b.pyproxies.create(ptr);
    try {
      return converter(proxy, fallback ?? jsConvert(level), jsCache);
    } finally {
      proxy.destroy();
    }
  };
  // From a Python converter: arguments arrive as borrowed PyProxies of the Python objects.
  const convertPy = (value, level) => {
    const state = b.pyproxies.stateOf(value);
    return state === undefined ? value : convert(b.pyproxies.pointer(state), level - 1);
  };
  const cachePy = (value, result) => jsCache(value, result);

  const convert = (ptr, level) => {
    const [found, value] = immediate(b, ptr);
    if (found) return value;
    if (cache.has(ptr)) return cache.get(ptr);
    if (pyEagerConverter || eagerConverter) {
      const fallback = (v) => {
        const state = b.pyproxies.stateOf(v);
        return state === undefined ? v : builtin(b.pyproxies.pointer(state), level);
      };
      return callConverter(pyEagerConverter ?? eagerConverter, pyEagerConverter !== undefined, ptr, level, fallback);
    }
    return builtin(ptr, level);
  };

  const builtin = (ptr, level) => {
    if (level === 0) return proxyOf(ptr);
    const type = api.typeOf(ptr);
    const flags = api.typeFlags(type);
    if (flags & (api.TPFLAGS_LIST_SUBCLASS | api.TPFLAGS_TUPLE_SUBCLASS)) {
      const list = flags & api.TPFLAGS_LIST_SUBCLASS;
      const result = [];
      cache.set(ptr, result);
      const n = list ? api.PyList_Size(ptr) : api.PyTuple_Size(ptr);
      for (let k = 0; k < n; k++) {
        result.push(convert(list ? api.PyList_GetItem(ptr, k) : api.PyTuple_GetItem(ptr, k), level - 1));
      }
      return result;
    }
    if (flags & api.TPFLAGS_DICT_SUBCLASS) {
      const pairs = dictConverter ? [] : undefined;
      const result = dictConverter ? undefined : {};
      if (result) cache.set(ptr, result);
      const slots = b.pushArgs(3); // pos, key, value for PyDict_Next
      try {
        api.store32(slots, 0);
        while (api.PyDict_Next(ptr, slots, slots + 4, slots + 8)) {
          const keyPtr = api.load32(slots + 4);
          const valuePtr = api.load32(slots + 8);
          const [keyFound, key] = immediate(b, keyPtr);
          if (!keyFound || (!pairs && typeof key !== "string" && typeof key !== "number")) {
            conversionError(b, `Cannot use ${describe(b, keyPtr)} as a key for a Javascript ${pairs ? "Map" : "Object"}`);
          }
          const item = convert(valuePtr, level - 1);
          if (pairs) pairs.push([key, item]);
          else result[key] = item;
        }
      } finally {
        b.popArgs(3);
      }
      if (!pairs) return result;
      const converted = dictConverter(pairs);
      cache.set(ptr, converted);
      return converted;
    }
    if (api.PyType_IsSubtype(type, api.PySet_Type) || api.PyType_IsSubtype(type, api.PyFrozenSet_Type)) {
      const result = new Set();
      cache.set(ptr, result);
      const iterator = b.check(api.PyObject_GetIter(ptr));
      try {
        for (let item; (item = api.PyIter_Next(iterator));) {
          try {
            const [found, key] = immediate(b, item);
            if (!found || typeof key === "object" && key !== null) {
              conversionError(b, `Cannot use ${describe(b, item)} as a key for a Javascript Set`);
            }
            result.add(key);
          } finally {
            api.Py_DecRef(item);
          }
        }
        if (api.PyErr_Occurred()) throw PY_ERR;
      } finally {
        api.Py_DecRef(iterator);
      }
      return result;
    }
    if (b.pyproxies.flagsOf(type) & (1 << 7) /* buffer */) {
      const result = bufferToJs(b, ptr);
      cache.set(ptr, result);
      return result;
    }
    if (pyDefaultConverter || defaultConverter) {
      return callConverter(pyDefaultConverter ?? defaultConverter, pyDefaultConverter !== undefined, ptr, level);
    }
    return proxyOf(ptr);
  };

  return convert(object, depth);
}

// struct format characters of typed arrays' elements (memoryview.cast).
const ELEMENT_FORMATS = {
  Int8Array: "b", Uint8Array: "B", Uint8ClampedArray: "B", Int16Array: "h", Uint16Array: "H",
  Int32Array: "i", Uint32Array: "I", Float16Array: "e", Float32Array: "f", Float64Array: "d",
  BigInt64Array: "q", BigUint64Array: "Q",
};

/** The bytes of an ArrayBuffer or a view of one. */
export function bytesOf(value) {
  return value instanceof ArrayBuffer || !ArrayBuffer.isView(value)
    ? new Uint8Array(value)
    : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

/**
 * A JS buffer's contents as a new memoryview (one copy, into a bytes object), typed as the
 * array's elements ("d" for a Float64Array…).
 */
export function bufferToMemoryview(b, value) {
  const { api } = b;
  const bytes = bytesOf(value);
  const object = b.check(api.PyBytes_FromStringAndSize(0, bytes.length));
  api.bytesView(object).set(bytes);
  const view = api.PyMemoryView_FromObject(object);
  api.Py_DecRef(object);
  b.check(view);
  const format = ELEMENT_FORMATS[value?.constructor?.name];
  if (!format || format === "B") return view;
  try {
    const cast = b.check(api.PyObject_GetAttr(view, api.name("cast")));
    const result = b.callWithRefs(cast, [b.check(api.pyString(format))]);
    api.Py_DecRef(cast);
    return b.check(result);
  } finally {
    api.Py_DecRef(view);
  }
}

/**
 * A JS value as a new reference to a Python object, converted as deeply as `depth` says.
 * Options: depth, defaultConverter (JS: (value, convert, cacheConversion) → the result as a
 * JS value), pyDefaultConverter (a Python callable of (JsProxy, convert, cache)).
 */
export function toPyDeep(b, value, { depth = -1, defaultConverter, pyDefaultConverter } = {}) {
  const { api } = b;
  const cache = new Map();

  const remember = (v, ref) => {
    cache.set(v, ref);
    return ref;
  };

  const convert = (v, level) => {
    if (v === null || typeof v !== "object" && typeof v !== "function") return b.toPy(v);
    if (b.pyproxies.stateOf(v) !== undefined) return b.toPy(v);
    const cached = cache.get(v);
    if (cached !== undefined) return api.incref(cached);
    if (level === 0 || typeof v === "function") return b.toPy(v);
    if (Array.isArray(v)) {
      const list = remember(v, b.check(api.PyList_New(v.length)));
      for (let k = 0; k < v.length; k++) api.PyList_SetItem(list, k, convert(v[k], level - 1));
      return api.incref(list);
    }
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return bufferToMemoryview(b, v);
    if (v instanceof Map) {
      const dict = remember(v, b.check(api.PyDict_New()));
      for (const [k, item] of v) setItem(dict, convert(k, level - 1), convert(item, level - 1));
      if (api.PyObject_Length(dict) !== v.size) {
        conversionErrorJs(b, "A JavaScript Map with keys that are equal in Python (1 and true?) cannot become a dict");
      }
      return api.incref(dict);
    }
    if (v instanceof Set) {
      const set = remember(v, b.check(api.PySet_New(0)));
      for (const item of v) {
        const ref = convert(item, level - 1);
        const result = api.PySet_Add(set, ref);
        api.Py_DecRef(ref);
        if (result < 0) throw PY_ERR;
      }
      if (api.PyObject_Length(set) !== v.size) {
        conversionErrorJs(b, "A JavaScript Set with items that are equal in Python cannot become a set");
      }
      return api.incref(set);
    }
    const proto = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) {
      const dict = remember(v, b.check(api.PyDict_New()));
      for (const [k, item] of Object.entries(v)) {
        setItem(dict, b.toPy(k), convert(item, level - 1));
      }
      return api.incref(dict);
    }
    if (defaultConverter) {
      const result = defaultConverter(v, (x) => wrap(convert(x, level - 1)), (x, r) => cacheResult(x, r));
      return b.toPy(result);
    }
    if (pyDefaultConverter) {
      const proxy = b.toPy(v);
      const convertFn = b.toPy((x) => wrap(convert(x, level - 1)));
      const cacheFn = b.toPy((x, r) => cacheResult(x, r));
      return b.check(b.callWithRefs(pyDefaultConverter, [proxy, convertFn, cacheFn]));
    }
    return b.toPy(v);
  };

  // What a converter's `convert` gives JS code: the Python result as a (borrowed-free) value.
  const wrap = (ref) => {
    try {
      return b.toJs(ref);
    } finally {
      api.Py_DecRef(ref);
    }
  };
  const cacheResult = (x, result) => {
    cache.set(x, b.toPy(result));
  };

  const setItem = (dict, key, item) => {
    const result = api.PyDict_SetItem(dict, key, item);
    api.Py_DecRef(key);
    api.Py_DecRef(item);
    if (result < 0) throw PY_ERR;
  };

  try {
    return convert(value, depth);
  } finally {
    // The cache held one reference of each container it made (returned ones were increfed).
    for (const ref of cache.values()) api.Py_DecRef(ref);
  }
}

function conversionErrorJs(b, message) {
  conversionError(b, message);
}
