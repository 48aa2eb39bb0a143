// The built-in module `_kiln_js` (`moduleFunctions`): what runtime/py/_kiln_ffi.py and the
// `js` module call besides a JsProxy's own methods (jsproxy.mjs): conversions, proxies made
// on request, the WebLoop's wake-up, synchronous fetches. Like jsproxy.mjs, every function
// runs on a Python → JS call: borrowed Python objects in, a new reference out, and what it
// throws is raised in Python.

import { bufferToMemoryview, bytesOf } from "./convert.mjs";
import { PY_ERR } from "./errors.mjs";
import { GROUPS, JS_CALLABLE, JS_DOUBLE_PROXY, JS_JSON_ARRAY, JS_OBJECT_MAP, JS_ONCE, JS_PY_JSON, attributeSlots, callJs, entryOf, none } from "./jsproxy.mjs";

/** Schedules the WebLoop's next iteration (pyodide/webloop.py asks for it). */
function wakeLoop(b, delay) {
  const run = () => {
    const runOnce = b.helpers.loop_run_once;
    if (runOnce === undefined) return;
    const result = b.api.PyObject_CallNoArgs(runOnce);
    if (result) b.api.Py_DecRef(result);
    else b.printError();
    b.flushOutput();
  };
  const loop = b.loop ??= { immediate: false, timer: undefined, timerAt: Infinity };
  if (delay <= 0) {
    if (loop.immediate) return;
    loop.immediate = true;
    const task = () => {
      loop.immediate = false;
      run();
    };
    if (typeof setImmediate === "function") setImmediate(task);
    else {
      loop.channel ??= (() => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => loop.pending.shift()?.();
        loop.pending = [];
        return channel;
      })();
      loop.pending.push(task);
      loop.channel.port2.postMessage(0);
    }
    return;
  }
  const at = performance.now() + delay;
  if (loop.timer !== undefined && loop.timerAt <= at) return;
  clearTimeout(loop.timer);
  loop.timerAt = at;
  loop.timer = setTimeout(() => {
    loop.timer = undefined;
    loop.timerAt = Infinity;
    run();
  }, delay);
}

/** A URL's text, synchronously (open_url). */
function fetchTextSync(b, url) {
  if (typeof XMLHttpRequest === "function") {
    const request = new XMLHttpRequest();
    request.open("GET", url, false);
    request.send();
    if (request.status >= 400) throw new Error(`${url}: HTTP ${request.status}`);
    return request.responseText;
  }
  const node = b.node;
  if (!node) throw new Error("open_url needs XMLHttpRequest (a browser) or Node");
  if (/^file:/i.test(url) || !/^[a-z][a-z0-9+.-]*:/i.test(url)) {
    const path = /^file:/i.test(url) ? new URL(url) : url;
    return node.fs.readFileSync(path, "utf8");
  }
  // http(s) in Node: a short-lived Node process does the fetch; this one waits for it.
  const script = "fetch(process.argv[1]).then(async (r) => { if (!r.ok) { " +
    "process.stderr.write(`HTTP ${r.status}`); process.exit(1); } process.stdout.write(await r.text()); })" +
    ".catch((e) => { process.stderr.write(String(e)); process.exit(1); })";
  const result = node.child_process.spawnSync(process.execPath, ["-e", script, url],
    { encoding: "utf8", maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`${url}: ${result.stderr || "fetch failed"}`);
  return result.stdout;
}

/** The functions of the module `_kiln_js`: [name, fn(b, self, args, names, values), kind]. */
export function moduleFunctions(b) {
  const { api } = b;
  // Method definitions of the groups, made once: they are kept for the interpreter's life.
  const groupDefs = new Map();
  const defsOf = (group) => {
    let defs = groupDefs.get(group);
    if (defs === undefined) {
      const methods = GROUPS[group];
      if (!methods) throw new Error(`kiln: no JsProxy method group ${group}`);
      defs = methods.map(([name, fn, kind = "fastcall"]) =>
        [name, api.methodDef(name, b.entry((self, args, names, values) => fn(b, self, args, names, values), kind), kind)]);
      groupDefs.set(group, defs);
    }
    return defs;
  };
  const fns = [
    ["install", (self, [cls, group]) => {
      for (const [name, def] of defsOf(b.strToJs(group))) {
        const descriptor = b.check(api.PyDescr_NewMethod(cls, def));
        const result = api.PyObject_SetAttr(cls, api.name(name), descriptor);
        api.Py_DecRef(descriptor);
        if (result < 0) throw PY_ERR;
      }
      return none(b);
    }],
    ["patch_slots", (self, [cls]) => {
      const slots = attributeSlots(b);
      api.store32(cls + api.TP_GETATTRO, slots.getattro);
      api.store32(cls + api.TP_SETATTRO, slots.setattro);
      return none(b);
    }],
    ["set_helpers", (self, args, names = [], values = []) => {
      names.forEach((name, k) => {
        const old = b.helpers[name];
        b.helpers[name] = api.incref(values[k]);
        if (old !== undefined) api.Py_DecRef(old);
      });
      return none(b);
    }, "keywords"],
    ["typeof", (self, [proxy]) => b.check(api.pyString(typeof entryOf(b, proxy).v))],
    ["js_id", (self, [proxy]) => {
      const { v } = entryOf(b, proxy);
      b.ids ??= new WeakMap();
      let id = b.ids.get(v);
      if (id === undefined) b.ids.set(v, id = (b.nextId = (b.nextId ?? 0) + 1));
      return b.check(api.PyLong_FromDouble(id));
    }],
    ["with_flags", (self, [proxy, flags]) => {
      const { v, t } = entryOf(b, proxy);
      return b.newJsProxy(v, t, Number(b.intToJs(flags)));
    }],
    ["as_py_json", (self, [proxy]) => {
      const { v } = entryOf(b, proxy);
      if (Array.isArray(v)) return b.newJsProxy(v, undefined, JS_JSON_ARRAY | JS_PY_JSON);
      if (typeof v !== "object" || v === null || v instanceof Error || ArrayBuffer.isView(v) ||
          v instanceof ArrayBuffer) {
        b.raise(api.PyExc_TypeError, "as_py_json() needs a plain object or an array");
      }
      return b.newJsProxy(v, undefined, JS_OBJECT_MAP | JS_PY_JSON);
    }],
    ["global_get", (self, [name]) => {
      const value = b.jsglobals[b.strToJs(name)];
      return b.toPy(value, typeof value === "function" ? b.jsglobals : undefined);
    }],
    ["global_scope", () => b.newJsProxy(b.jsglobals)],
    ["dispose", (self, [proxy]) => {
      const { v } = entryOf(b, proxy);
      v[Symbol.dispose]();
      return none(b);
    }],
    ["async_dispose", (self, [proxy]) => {
      const { v } = entryOf(b, proxy);
      return callJs(b, v[Symbol.asyncDispose], v, []);
    }],
    ["promise_then", (self, [proxy, onFulfilled, onRejected]) => {
      const { v } = entryOf(b, proxy);
      const handlers = [onFulfilled, onRejected].map((h) => h === api.None ? undefined : b.pyproxies.create(h));
      const release = () => handlers.forEach((h) => h?.destroy());
      const [fulfilled, rejected] = handlers;
      const next = v.then(fulfilled && ((x) => fulfilled(x)), rejected && ((e) => rejected(e)));
      next.then(release, release);
      return b.newJsProxy(next);
    }],
    ["promise_finally", (self, [proxy, onFinally]) => {
      const { v } = entryOf(b, proxy);
      const handler = b.pyproxies.create(onFinally);
      const next = Promise.resolve(v).finally(() => handler());
      const release = () => handler.destroy();
      next.then(release, release);
      return b.newJsProxy(next);
    }],
    ["promise_settle", (self, [proxy, future]) => {
      const { v } = entryOf(b, proxy);
      const held = api.incref(future);
      // Runs later, from a JS microtask: Python is not running then.
      const settle = (ok, valueRef) => {
        const result = b.callWithRefs(b.helpers.settle_future,
          [api.incref(held), api.incref(ok ? api.True : api.False), valueRef]);
        if (result) api.Py_DecRef(result);
        else b.printError();
        api.Py_DecRef(held);
        b.flushOutput();
      };
      Promise.resolve(v).then(
        (value) => {
          let ref;
          try {
            ref = b.toPy(value);
          } catch (e) {
            settle(false, errorRef(b, b.jsError(e)));
            return;
          }
          settle(true, ref);
        },
        (reason) => settle(false, errorRef(b, reason)),
      );
      return none(b);
    }],
    ["buffer_to_memoryview", (self, [proxy]) => bufferToMemoryview(b, entryOf(b, proxy).v)],
    ["buffer_to_string", (self, [proxy, encoding]) => {
      const { v } = entryOf(b, proxy);
      const label = encoding === api.None ? "utf-8" : b.strToJs(encoding);
      return b.check(api.pyString(new TextDecoder(label).decode(bytesOf(v))));
    }],
    ["call_method", (self, [proxy, name, ...args]) => {
      const { v } = entryOf(b, proxy);
      const method = v[b.strToJs(name)];
      return callJs(b, method, v, args);
    }],
    ["error_string", (self, [proxy]) => {
      const { v } = entryOf(b, proxy);
      let text;
      try {
        text = v instanceof Error || typeof v?.message === "string" ? `${v.name}: ${v.message}` : String(v);
      } catch {
        text = Object.prototype.toString.call(v);
      }
      return b.check(api.pyString(text));
    }],
    ["to_js", (self, [object, depth, pyproxies, createPyProxies, dictConverter, defaultConverter, eagerConverter]) => {
      const pick = (x) => (x === undefined || x === api.None ? undefined : x);
      const result = b.toJsDeep(object, {
        depth: pick(depth) === undefined ? -1 : Number(b.intToJs(depth)),
        pyproxies: pick(pyproxies) === undefined ? undefined : b.toJs(pyproxies),
        createPyProxies: pick(createPyProxies) === undefined ? true : createPyProxies === api.True,
        dictConverter: pick(dictConverter) === undefined ? undefined : b.toJs(dictConverter),
        pyDefaultConverter: pick(defaultConverter),
        pyEagerConverter: pick(eagerConverter),
      });
      const state = b.pyproxies.stateOf(result);
      if (state !== undefined) {
        return b.newJsProxy(result, undefined, JS_DOUBLE_PROXY | (typeof result === "function" ? JS_CALLABLE : 0));
      }
      return b.toPy(result);
    }],
    ["create_proxy", (self, [object, captureThis, roundtrip]) => {
      const proxy = b.pyproxies.create(object, {
        captureThis: captureThis === api.True,
        roundtrip: roundtrip === undefined || roundtrip === api.True,
      });
      return b.newJsProxy(proxy, undefined, JS_DOUBLE_PROXY | (typeof proxy === "function" ? JS_CALLABLE : 0));
    }],
    ["create_once_callable", (self, [object]) => {
      const proxy = b.pyproxies.create(object);
      let used = false;
      const once = function (...args) {
        if (used) throw new Error("OnceProxy can only be called once");
        used = true;
        try {
          return Reflect.apply(proxy, this, args);
        } finally {
          proxy.destroy();
        }
      };
      once.destroy = () => {
        if (!used) {
          used = true;
          proxy.destroy();
        }
      };
      return b.newJsProxy(once, undefined, JS_ONCE | JS_CALLABLE);
    }],
    ["destroy_proxies", (self, [array]) => {
      const proxies = b.toJs(array);
      for (const proxy of proxies) proxy.destroy();
      return none(b);
    }],
    ["loop_wake", (self, [delay]) => {
      wakeLoop(b, b.toJs(delay));
      return none(b);
    }],
    ["fetch_text_sync", (self, [url]) => b.check(api.pyString(fetchTextSync(b, b.strToJs(url))))],
  ];
  return fns.map(([name, fn, kind = "fastcall"]) => [name, fn, kind]);
}

/** A new reference to the Python exception for a JS rejection reason. */
function errorRef(b, reason) {
  const state = b.pyproxies.stateOf(reason);
  if (reason?.__error_address && reason.__error_address === b.lastException()) {
    return b.api.incref(reason.__error_address);
  }
  if (state !== undefined) return b.api.incref(b.pyproxies.pointer(state));
  return b.newJsException(reason);
}
