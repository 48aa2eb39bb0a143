// The Proxy handler of every PyProxy: property reads, writes, `in`, `delete`, key listing and
// calls on the proxy forwarded to its Python object (attributes; a dict's keys and a
// sequence's indices as items). The proxy's methods (pymethods.mjs) come first: a name its
// prototype has is never looked up in Python.

import { PY_ERR } from "./errors.mjs";
import { PY_DICT, PY_MUTABLE_SEQUENCE, PY_SEQUENCE, STATE, alive, callObject, getItem } from "./pyhandle.mjs";

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

export const HANDLER = {
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
