// A PyProxy's hold on its Python object, what the Proxy traps (pytraps.mjs), the methods
// (pymethods.mjs) and the factory (pyproxy.mjs) share: the bits saying what the object's type
// offers, the state each proxy keeps (the object's address, its flags, its factory, whether it
// was destroyed), the check before each use, and the operations both the traps and the methods
// call (an item, a call).
//
// A proxy's state names the factory that made it (`state.factory`, set once, at creation): the
// traps and the methods reach the bridge and the factory (copy(), destroy()) through it, so
// none of these modules imports pyproxy.mjs, which imports them all.

import { PY_ERR } from "./errors.mjs";

// What a Python type offers (computed by _kiln_pyproxy._pyproxy_flags, which has the same bits).
export const PY_HAS_LENGTH = 1 << 0;
export const PY_HAS_GET = 1 << 1;
export const PY_HAS_SET = 1 << 2;
export const PY_HAS_CONTAINS = 1 << 3;
export const PY_ITERABLE = 1 << 4;
export const PY_ITERATOR = 1 << 5;
export const PY_AWAITABLE = 1 << 6;
export const PY_BUFFER = 1 << 7;
export const PY_CALLABLE = 1 << 8;
export const PY_ASYNC_ITERABLE = 1 << 9;
export const PY_ASYNC_ITERATOR = 1 << 10;
export const PY_GENERATOR = 1 << 11;
export const PY_ASYNC_GENERATOR = 1 << 12;
export const PY_SEQUENCE = 1 << 13;
export const PY_MUTABLE_SEQUENCE = 1 << 14;
export const PY_DICT = 1 << 15;

/** Every PyProxy of every runtime → its state. */
export const proxyStates = new WeakMap();
/** The state key on a proxy's target (the traps read it there). */
export const STATE = Symbol("kiln.pyproxy");

export function stateOfThis(proxy) {
  const state = proxyStates.get(proxy);
  if (state === undefined) throw new TypeError("not a PyProxy");
  return state;
}

/** The object's address, or an Error if the proxy cannot be used any more. */
export function alive(state) {
  if (state.destroyed) throw new Error(state.destroyed);
  if (state.generation !== state.factory.generation) {
    throw new Error("The Python interpreter this proxy belonged to has been stopped");
  }
  return state.ptr;
}

/** Runs `fn(b, ptr)` for a proxy method; C API failures surface as PythonError. */
export function withObject(proxy, fn) {
  const state = stateOfThis(proxy);
  const ptr = alive(state);
  const b = state.factory.b;
  try {
    return fn(b, ptr, state);
  } catch (e) {
    throw b.jsError(e);
  }
}

/** obj[key] as a JS value; a missing key or index is undefined. */
export function getItem(b, ptr, makeKey) {
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

/** Calls the Python callable (with `this` first when the proxy captures it). */
export function callObject(state, thisArg, args, kwargs) {
  const b = state.factory.b;
  const ptr = alive(state);
  try {
    return b.callPython(ptr, state.captureThis ? [thisArg, ...args] : args, kwargs);
  } catch (e) {
    throw b.jsError(e);
  }
}
