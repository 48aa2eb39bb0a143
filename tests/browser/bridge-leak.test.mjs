// The bridge does not leak (issue 15): 100,000 calls that pass callbacks and objects both ways
// leave the number of live proxies (JsProxy and PyProxy), Python's object count and the wasm
// heap where a warm-up left them.
//
//   KILN_DIST=dist node --test --expose-gc tests/browser/bridge-leak.test.mjs

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { REPO } from "./fixtures.mjs";

const DIST = path.resolve(REPO, process.env.KILN_DIST ?? "dist");
const LOADER = path.resolve(REPO, process.env.KILN_LOADER ?? path.join(DIST, "python.mjs"));
const CALLS = Number(process.env.KILN_LEAK_CALLS ?? 100_000);

test(`${CALLS} calls both ways leave proxies and the heap flat`, { skip: !globalThis.gc && "run node with --expose-gc" }, async () => {
  assert.ok(fs.existsSync(path.join(DIST, "python.wasm")), `no runtime in ${DIST}: build cpython first`);
  const { loadPyodide } = await import(pathToFileURL(LOADER).href);
  const pyodide = await loadPyodide({ indexURL: DIST });
  pyodide.runPython(`
import gc, js
from pyodide.ffi import create_proxy, to_js

def py_side(callback, obj, items):
    # JS → Python: a JS callback, a JS object and a JS array arrive as JsProxies; the callback
    # is called with a Python list (a borrowed PyProxy) and a dict.
    total = callback([obj.n, len(items)], {"k": obj.n})
    return [total, obj.n]  # a new PyProxy, owned by the JS caller

def call_js(k):
    # Python → JS: a Python callback and Python containers cross as borrowed PyProxies.
    return js.jsSide(lambda x: x + k, {"k": k}, [k, k])

def keep_and_release(k):
    # A proxy JS keeps (create_proxy), destroyed by Python; a conversion with to_js.
    proxy = create_proxy(lambda: k)
    js.kept = proxy
    result = js.kept()
    proxy.destroy()
    return result + to_js([k, {"a": k}])[1].a

def python_objects():
    gc.collect()
    return len(gc.get_objects())
`);
  globalThis.jsSide = (callback, dict, list) => callback(dict.get("k")) + list.length;
  const pySide = pyodide.globals.get("py_side");
  const callJs = pyodide.globals.get("call_js");
  const keepAndRelease = pyodide.globals.get("keep_and_release");
  const pythonObjects = pyodide.globals.get("python_objects");

  const round = async (n) => {
    for (let k = 0; k < n; k++) {
      const result = pySide((list, dict) => list.get(0) + dict.get("k"), { n: k }, [k]);
      if (k % 2) result.destroy(); // the other half is left to the FinalizationRegistry
      assert.equal(callJs(k), 2 * k + 2);
      if (k % 10 === 0) assert.equal(keepAndRelease(k), 2 * k);
      // JS collects garbage in its own time; here every 2,000 calls, so that what the
      // registry frees is bounded (finalizers run between JS tasks).
      if (k % 2000 === 1999) {
        globalThis.gc();
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    }
  };
  const settle = async () => {
    for (let k = 0; k < 5; k++) {
      globalThis.gc();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const measure = () => ({ ...pyodide._api.stats(), pythonObjects: pythonObjects() });

  await round(5000); // warm-up: caches, classes, the heap's working size
  await settle();
  const before = measure();
  const started = performance.now();
  await round(CALLS);
  const elapsed = performance.now() - started;
  await settle();
  const after = measure();
  console.log(`${CALLS} rounds in ${Math.round(elapsed)} ms; before ${JSON.stringify(before)}; after ${JSON.stringify(after)}`);
  assert.equal(after.jsProxies, before.jsProxies, "live JsProxies");
  assert.equal(after.pyProxies, before.pyProxies, "live PyProxies");
  // A few objects come and go between the two counts (caches, the count's own call); a leak
  // of one object per call would show as 100,000.
  assert.ok(Math.abs(after.pythonObjects - before.pythonObjects) <= 16,
    `Python objects: ${before.pythonObjects} → ${after.pythonObjects}`);
  assert.equal(after.heapBytes, before.heapBytes, "wasm heap size");
  for (const proxy of [pySide, callJs, keepAndRelease, pythonObjects]) proxy.destroy();
});
