// The interpreter's C API as the bridge sees it: the exported functions and data symbols of
// python.wasm, its memory, and a way to hand JS functions to C as function pointers.
//
// The interpreter is linked with -sMAIN_MODULE=1, so every libpython symbol is exported for
// side modules; emscripten keeps them in the main module's LDSO entry. The bridge therefore
// needs no C code of its own: what Pyodide writes in C (the JsProxy type's slots, the module
// `_pyodide_core`) is here JS functions placed in the interpreter's function table, which
// CPython calls like any C function (a METH_FASTCALL method is `(self, args, nargs) -> obj`,
// four i32s). Measured on this runtime (Node 20, 2-core host): a Python call of such a
// function costs ~0.26 µs over a call of `len(())`; a JS call of a Python function through
// `PyObject_Vectorcall` ~0.37 µs with its argument conversions. See docs/runtime.md.
//
// What it does not do: convert values (convert.mjs), or know what the functions are for.

/** The C functions the bridge calls; a missing one is a broken interpreter build. */
const CAPI_FUNCTIONS = [
  "malloc", "free", "Py_IncRef", "Py_DecRef",
  "PyErr_GetRaisedException", "PyErr_SetRaisedException", "PyErr_SetObject", "PyErr_SetString",
  "PyErr_Occurred", "PyErr_ExceptionMatches", "PyErr_Clear", "PyErr_GivenExceptionMatches",
  "PyUnicode_AsUTF8AndSize", "PyUnicode_DecodeUTF8", "PyUnicode_FromStringAndSize",
  "PyUnicode_DecodeUTF16", "PyUnicode_AsEncodedString", "PyUnicode_InternFromString",
  "PyLong_AsLongLongAndOverflow", "PyLong_FromLongLong", "PyLong_FromLong", "PyLong_AsLong",
  "PyLong_FromDouble", "PyLong_FromString", "PyNumber_ToBase", "PyLong_AsDouble",
  "PyFloat_FromDouble", "PyFloat_AsDouble",
  "PyObject_Vectorcall", "PyObject_VectorcallMethod", "PyObject_GetAttr", "PyObject_SetAttr",
  "PyObject_GetOptionalAttr", "PyObject_GetItem", "PyObject_SetItem", "PyObject_DelItem",
  "PyObject_Dir", "PyObject_Str", "PyObject_Repr", "PyObject_GetIter", "PyIter_Next",
  "PyObject_IsTrue", "PyCallable_Check", "PyObject_RichCompareBool", "PyObject_Length",
  "PyObject_IsInstance", "PyObject_GenericSetAttr", "PyObject_GenericGetAttr", "PyObject_Hash",
  "PyObject_CallNoArgs", "PyObject_CallOneArg",
  "PySequence_Contains", "PySequence_List", "PyErr_Print",
  "PyList_New", "PyList_Append", "PyList_SetItem", "PyList_GetItem", "PyList_Size",
  "PyTuple_New", "PyTuple_SetItem", "PyTuple_GetItem", "PyTuple_Size",
  "PyDict_New", "PyDict_SetItem", "PyDict_Next", "PyDict_GetItemRef",
  "PySet_New", "PySet_Add",
  "PyObject_GetBuffer", "PyBuffer_Release", "PyBytes_FromStringAndSize",
  "PyMemoryView_FromObject",
  "PyDescr_NewMethod", "PyCMethod_New", "PyModule_Create2", "PyImport_AppendInittab",
  "PyImport_ImportModule", "PySys_GetObject", "PyType_IsSubtype", "PyType_GetFlags", "_PyType_Lookup",
  "PyType_GenericAlloc",
];

/** Data symbols: their address (for types and singletons, the object itself). */
const CAPI_DATA = [
  "_Py_NoneStruct", "_Py_TrueStruct", "_Py_FalseStruct", "_Py_NotImplementedStruct",
  "PyUnicode_Type", "PyLong_Type", "PyFloat_Type", "PyBool_Type", "PyList_Type",
  "PyTuple_Type", "PyDict_Type", "PySet_Type", "PySlice_Type", "PyFrozenSet_Type", "PyBytes_Type",
  "PyExc_AttributeError", "PyExc_TypeError", "PyExc_KeyError", "PyExc_IndexError",
  "PyExc_StopIteration", "PyExc_StopAsyncIteration", "PyExc_RuntimeError", "PyExc_ValueError",
  "PyExc_MemoryError", "PyExc_BaseException",
];

// Layout of the objects the bridge reads directly (wasm32, CPython 3.15, no free threading).
const OB_TYPE = 4; // PyObject: ob_refcnt (4 bytes), ob_type
const TP_GETATTRO = 72; // PyTypeObject: PyVarObject head (12), then pointer-sized fields
const TP_SETATTRO = 76;
const TP_FLAGS = 84;
const FLOAT_VALUE = 8; // PyFloatObject: head, double ob_fval
const TPFLAGS_LONG_SUBCLASS = 1 << 24;
const TPFLAGS_LIST_SUBCLASS = 1 << 25;
const TPFLAGS_TUPLE_SUBCLASS = 1 << 26;
const TPFLAGS_UNICODE_SUBCLASS = 1 << 28;
const TPFLAGS_DICT_SUBCLASS = 1 << 29;
const TPFLAGS_BASE_EXC_SUBCLASS = 1 << 30;
const TPFLAGS_TYPE_SUBCLASS = 1 << 31;
const METH_FASTCALL = 0x80;
const LONE_SURROGATE = /\p{Cs}/u; // with the u flag a proper pair is one code point
const METH_KEYWORDS = 0x02;
const METH_NOARGS = 0x04;
// The C API version PyModule_Create2 is given (PYTHON_API_VERSION; checked only for a warning).
const PYTHON_API_VERSION = 1013;

/**
 * A wasm function that calls `fn`: a module of one import and one export, compiled here (a
 * few dozen bytes, so compiling synchronously is allowed on a browser's main thread too).
 * `signature` is emscripten's: result first, then the parameters (`i` i32, `j` i64, `d` f64,
 * `v` no result).
 */
function wasmFunction(fn, signature) {
  const code = { i: 0x7f, j: 0x7e, f: 0x7d, d: 0x7c };
  const [result, ...params] = signature;
  const type = [0x60, params.length, ...params.map((c) => code[c]),
    ...(result === "v" ? [0] : [1, code[result]])];
  const section = (id, bytes) => [id, bytes.length, ...bytes];
  const bytes = new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
    ...section(1, [1, ...type]), // one type
    ...section(2, [1, 1, 0x65, 1, 0x66, 0x00, 0x00]), // import "e" "f": function of type 0
    ...section(7, [1, 1, 0x66, 0x00, 0x00]), // export "f": function 0
  ]);
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), { e: { f: fn } }).exports.f;
}

/**
 * The C API of a running emscripten module (python.js's instance). Its methods are the C
 * functions by name (`api.PyObject_GetAttr(obj, name)`), plus memory helpers.
 */
export function openCApi(Module) {
  const exports = Module.LDSO?.loadedLibsByName?.__main__?.exports;
  if (!exports) throw new Error("kiln: the interpreter exports no C API (not a MAIN_MODULE build)");
  const api = {};
  for (const name of CAPI_FUNCTIONS) {
    if (typeof exports[name] !== "function") {
      throw new Error(`kiln: the interpreter does not export ${name}`);
    }
    api[name] = exports[name];
  }
  for (const name of CAPI_DATA) {
    const symbol = exports[name];
    if (!(symbol instanceof WebAssembly.Global)) {
      throw new Error(`kiln: the interpreter does not export ${name}`);
    }
    api[name] = symbol.value;
  }
  const memory = exports.memory;
  const table = exports.__indirect_function_table;
  let buffer = memory.buffer;
  let u8 = new Uint8Array(buffer);
  let i32 = new Int32Array(buffer);
  let u32 = new Uint32Array(buffer);
  let f64 = new Float64Array(buffer);
  // Views are replaced when the memory grows (its old buffer is detached).
  const refresh = () => {
    if (memory.buffer !== buffer) {
      buffer = memory.buffer;
      u8 = new Uint8Array(buffer);
      i32 = new Int32Array(buffer);
      u32 = new Uint32Array(buffer);
      f64 = new Float64Array(buffer);
    }
  };
  // Scratch words for out-parameters, read right after the call that fills them.
  const scratch = api.malloc(64);
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();

  Object.assign(api, {
    Module,
    memory,
    scratch,
    None: api._Py_NoneStruct,
    True: api._Py_TrueStruct,
    False: api._Py_FalseStruct,
    NotImplemented: api._Py_NotImplementedStruct,

    u8: () => (refresh(), u8),
    i32: () => (refresh(), i32),
    u32: () => (refresh(), u32),
    f64: () => (refresh(), f64),
    load32: (address) => (refresh(), i32[address >> 2]),
    store32: (address, value) => { refresh(); i32[address >> 2] = value; },

    incref(object) { api.Py_IncRef(object); return object; },
    typeOf: (object) => (refresh(), u32[(object + OB_TYPE) >> 2]),
    typeFlags: (type) => (refresh(), u32[(type + TP_FLAGS) >> 2]),
    floatValue: (object) => (refresh(), f64[(object + FLOAT_VALUE) >> 3]),
    isSubtype: (type, base) => type === base || api.PyType_IsSubtype(type, base) !== 0,

    /** A NUL-terminated UTF-8 copy of `text` in newly allocated memory (free it). */
    cString(text) {
      const bytes = encoder.encode(text);
      const at = api.malloc(bytes.length + 1);
      refresh();
      u8.set(bytes, at);
      u8[at + bytes.length] = 0;
      return at;
    },

    /** A new Python str of a JS string (lone surrogates kept, as "surrogatepass" would). */
    pyString(text) {
      const n = text.length;
      if (n <= 48) {
        // Short ASCII strings (names, keys): straight into scratch memory, no encoder.
        refresh();
        const buf = scratch + 16;
        let k = 0;
        for (; k < n; k++) {
          const c = text.charCodeAt(k);
          if (c > 0x7f) break;
          u8[buf + k] = c;
        }
        if (k === n) return api.PyUnicode_FromStringAndSize(buf, n);
      }
      if (!LONE_SURROGATE.test(text)) {
        const bytes = encoder.encode(text);
        const buf = api.malloc(bytes.length || 1);
        refresh();
        u8.set(bytes, buf);
        const object = api.PyUnicode_DecodeUTF8(buf, bytes.length, 0);
        api.free(buf);
        return object;
      }
      // Lone surrogates have no UTF-8 form: UTF-16 with surrogatepass keeps them.
      const buf = api.malloc(2 * n);
      refresh();
      for (let k = 0; k < n; k++) {
        const c = text.charCodeAt(k);
        u8[buf + 2 * k] = c & 0xff;
        u8[buf + 2 * k + 1] = c >> 8;
      }
      i32[scratch >> 2] = -1; // little endian
      const object = api.PyUnicode_DecodeUTF16(buf, 2 * n, api._errorsName(), scratch);
      api.free(buf);
      return object;
    },

    /** The JS string of a Python str; undefined (and a Python error) if it cannot be read. */
    jsString(object) {
      const data = api.PyUnicode_AsUTF8AndSize(object, scratch);
      refresh();
      if (!data) {
        // Lone surrogates have no UTF-8 form: UTF-16 with surrogatepass keeps them.
        api.PyErr_Clear();
        const bytes = api.PyUnicode_AsEncodedString(object, api._utf16Name(), api._errorsName());
        if (!bytes) return undefined;
        // By code unit: a TextDecoder would replace the lone surrogates.
        const units = new Uint16Array(api.bytesView(bytes).slice().buffer);
        api.Py_DecRef(bytes);
        let text = "";
        for (let k = 0; k < units.length; k += 4096) {
          text += String.fromCharCode(...units.subarray(k, k + 4096));
        }
        return text;
      }
      const n = i32[scratch >> 2];
      if (n < 32) {
        let s = "";
        for (let k = 0; k < n; k++) {
          const c = u8[data + k];
          if (c > 0x7f) return decoder.decode(u8.subarray(data, data + n));
          s += String.fromCharCode(c);
        }
        return s;
      }
      return decoder.decode(u8.subarray(data, data + n));
    },
    _errorsName: () => api._cached ??= api.cString("surrogatepass"),
    _utf16Name: () => api._cachedUtf16 ??= api.cString("utf-16-le"),

    /** A view of a bytes object's data (valid while it lives; copy before the next call). */
    bytesView(object) {
      refresh();
      // PyBytesObject: PyVarObject head (ob_size at 8), ob_shash (4), ob_sval at 16.
      const size = i32[(object + 8) >> 2];
      return u8.subarray(object + 16, object + 16 + size);
    },

    /** An interned Python str for a fixed name (kept for the interpreter's life). */
    _names: new Map(),
    name(name) {
      let object = api._names.get(name);
      if (object === undefined) {
        const c = api.cString(name);
        object = api.PyUnicode_InternFromString(c);
        api.free(c);
        api._names.set(name, object);
      }
      return object;
    },
    /** Forgets what belonged to a finalized interpreter. */
    reset() {
      api._names.clear();
    },

    /** A function pointer (table index) that calls `fn` (see wasmFunction for `signature`). */
    addFunction(fn, signature) {
      const index = table.grow(1);
      table.set(index, wasmFunction(fn, signature));
      return index;
    },

    /**
     * A PyMethodDef for a JS function, kept for the interpreter's life. `kind` is "fastcall"
     * ((self, args, nargs)), "keywords" ((self, args, nargs, kwnames)) or "noargs" ((self, _)).
     */
    methodDef(name, fn, kind = "fastcall") {
      const flags = kind === "keywords" ? METH_FASTCALL | METH_KEYWORDS
        : kind === "noargs" ? METH_NOARGS : METH_FASTCALL;
      const signature = kind === "keywords" ? "iiiii" : kind === "noargs" ? "iii" : "iiii";
      const def = api.malloc(16);
      refresh();
      i32[def >> 2] = api.cString(name);
      i32[(def >> 2) + 1] = api.addFunction(fn, signature);
      i32[(def >> 2) + 2] = flags;
      i32[(def >> 2) + 3] = 0;
      return def;
    },

    /** A PyMethodDef array (NULL-terminated) for a module's functions. */
    methodTable(defs) {
      const table = api.malloc(16 * (defs.length + 1));
      const words = [];
      for (const def of defs) {
        refresh();
        words.push(...i32.subarray(def >> 2, (def >> 2) + 4));
      }
      refresh();
      i32.set(words, table >> 2);
      i32.fill(0, (table >> 2) + 4 * defs.length, (table >> 2) + 4 * defs.length + 4);
      return table;
    },

    /**
     * A PyModuleDef (kept for the interpreter's life) whose functions are `methods`, a
     * NULL-terminated PyMethodDef array.
     */
    moduleDef(name, methods) {
      // PyModuleDef_Base: PyObject head (refcount, type), m_init, m_index, m_copy; then m_name,
      // m_doc, m_size, m_methods, m_slots, m_traverse, m_clear, m_free.
      const def = api.malloc(52);
      refresh();
      i32.fill(0, def >> 2, (def >> 2) + 13);
      i32[def >> 2] = 1 << 30; // immortal, like PyModuleDef_HEAD_INIT's
      i32[(def >> 2) + 5] = api.cString(name);
      i32[(def >> 2) + 7] = -1;
      i32[(def >> 2) + 8] = methods;
      return def;
    },

    PYTHON_API_VERSION, TP_GETATTRO, TP_SETATTRO,
    TPFLAGS_LONG_SUBCLASS, TPFLAGS_LIST_SUBCLASS, TPFLAGS_TUPLE_SUBCLASS,
    TPFLAGS_UNICODE_SUBCLASS, TPFLAGS_DICT_SUBCLASS, TPFLAGS_BASE_EXC_SUBCLASS,
    TPFLAGS_TYPE_SUBCLASS,
  });
  // The layout assumptions above, checked once: a wrong one would misread every object.
  const getattro = (type) => api.load32(type + TP_GETATTRO);
  if (api.typeOf(api.True) !== api.PyBool_Type ||
      !(api.typeFlags(api.PyLong_Type) & TPFLAGS_LONG_SUBCLASS) ||
      (api.PyType_GetFlags(api.PyDict_Type) >>> 0) !== api.typeFlags(api.PyDict_Type) ||
      // int and float both get attributes with PyObject_GenericGetAttr.
      !getattro(api.PyLong_Type) || getattro(api.PyLong_Type) !== getattro(api.PyFloat_Type)) {
    throw new Error("kiln: the interpreter's object layout is not the one the bridge expects");
  }
  return api;
}
