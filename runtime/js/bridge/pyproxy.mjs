// Python objects in JavaScript: PyProxy. A PyProxy is a JS Proxy whose traps forward to the
// Python object (attributes, calls); its methods (toJs, destroy, get, set, has, iteration,
// then…) come from a prototype made for what the object's type offers, so `then` exists
// only on awaitables and `length` only where len() works, as in Pyodide.
//
// Lifetime: a PyProxy holds one reference to its object. destroy() (or `using`) gives it
// back; otherwise a FinalizationRegistry does when JS collects the proxy. A PyProxy made for
// an argument of a JS function that Python calls is borrowed: the call destroys it when it
// returns (bridge.mjs explains who owns what).
//
// This module is the factory (`PyProxyFactory`: creation, the live count, destroy and the
// FinalizationRegistry) and the classes JS code tests proxies against; the rest is split by
// concept: pyhandle.mjs (a proxy's state, shared by all), pytraps.mjs (the Proxy handler),
// pymethods.mjs (the methods by type). They reach the factory through a proxy's state, so the
// imports go one way only.

import { PY_ASYNC_GENERATOR, PY_ASYNC_ITERABLE, PY_ASYNC_ITERATOR, PY_AWAITABLE, PY_BUFFER, PY_CALLABLE, PY_DICT, PY_GENERATOR, PY_HAS_CONTAINS, PY_HAS_GET, PY_HAS_LENGTH, PY_HAS_SET, PY_ITERABLE, PY_ITERATOR, PY_MUTABLE_SEQUENCE, PY_SEQUENCE, STATE, alive, proxyStates } from "./pyhandle.mjs";
import { PyBufferView, prototypeFor } from "./pymethods.mjs";
import { HANDLER } from "./pytraps.mjs";

const BORROWED_MESSAGE = "This borrowed proxy was automatically destroyed at the end of a function " +
  "call. Try using create_proxy or create_once_callable.";
const DESTROYED_MESSAGE = "Object has already been destroyed";

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
