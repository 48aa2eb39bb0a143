// Differential test (issue 15): one script, run against kiln's python.mjs and against Pyodide
// of the same platform (the `pyodide` npm package, 315.0.0-alpha.2, a dev dependency here),
// must give equal answers. The script exercises the API that code written for Pyodide uses:
// conversions, the js module, pyodide.ffi, PyProxy, errors, asyncio. Answers are JSON-like
// values; where the two runtimes may differ on purpose (tracebacks, versions), the script
// answers only what must agree (the exception's type and last line, for instance).
//
//   KILN_DIST=dist node --test tests/browser/bridge-pyodide.test.mjs

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { before, test } from "node:test";
import { pathToFileURL } from "node:url";
import { REPO } from "./fixtures.mjs";

const DIST = path.resolve(REPO, process.env.KILN_DIST ?? "dist");
const LOADER = path.resolve(REPO, process.env.KILN_LOADER ?? path.join(DIST, "python.mjs"));
const PYODIDE = path.join(REPO, "tests/browser/node_modules/pyodide/pyodide.mjs");

/** The last line of a PythonError's traceback ("ValueError: oops"). */
const lastLine = (error) => String(error.message).trimEnd().split("\n").at(-1);

/** Runs `code` and converts its result deeply (destroying the proxy). */
function value(py, code) {
  const result = py.runPython(code);
  if (result && typeof result.toJs === "function") {
    try {
      return result.toJs({ dict_converter: Object.fromEntries });
    } finally {
      result.destroy();
    }
  }
  return result;
}

function caught(fn) {
  try {
    fn();
    return "no error";
  } catch (error) {
    return { name: error.constructor.name, type: error.type, last: lastLine(error) };
  }
}

async function caughtAsync(promise) {
  try {
    await promise;
    return "no error";
  } catch (error) {
    return { name: error.constructor.name, type: error.type, last: lastLine(error) };
  }
}

/** The script: name → (py) => answer. */
const SCRIPT = {
  "implicit conversions": (py) => [
    py.runPython("None"), py.runPython("True"), py.runPython("42"), py.runPython("2**53 - 1"),
    String(py.runPython("2**53")), String(py.runPython("-(2**80)")), py.runPython("0.25"),
    py.runPython("'é🐍'"), py.runPython("'\\ud83d'") === "\ud83d",
  ],
  "JS values in Python": (py) => {
    globalThis.diffValues = [undefined, null, false, 3, 3.5, 10n, 2n ** 64n, "s", -0];
    return value(py, `
import js
[type(v).__name__ for v in js.diffValues] + [repr(js.diffValues[1]), int(js.diffValues[6] - 1)]`);
  },
  "js module": (py) => {
    globalThis.diffObject = { a: 1, nested: { b: [1, 2, 3] }, method() { return this.a; }, global: 5 };
    return value(py, `
from js import diffObject, Math, JSON
[diffObject.a, diffObject.nested.b.length, diffObject.method(), diffObject.global_,
 Math.max(1, 7, 3), JSON.stringify(diffObject.nested), js.Array.new(4).length,
 js.Object.keys(diffObject).length, hasattr(diffObject, "nope"), diffObject.typeof, Math.max.typeof]`);
  },
  "JsProxy containers": (py) => {
    globalThis.diffArray = [3, 1, 2];
    globalThis.diffMap = new Map([["x", 1], ["y", 2]]);
    globalThis.diffSet = new Set(["a"]);
    return value(py, `
from js import diffArray, diffMap, diffSet
r = [len(diffArray), diffArray[0], diffArray[-1], 2 in diffArray, list(diffArray), sorted(diffArray)]
r += [len(diffMap), diffMap["x"], "y" in diffMap, sorted(diffMap), diffMap.get("z", 0), dict(diffMap)]
r += [len(diffSet), "a" in diffSet, list(diffSet)]
diffArray[0] = 10
diffMap["z"] = 3
r += [list(diffArray), diffMap.size]
r`);
  },
  "JsProxy kinds": (py) => {
    globalThis.diffKinds = [() => 1, [1], new Map(), Promise.resolve(), new Uint8Array(1), new ArrayBuffer(1), {}, new Error("e")];
    return value(py, `
from pyodide.ffi import JsCallable, JsArray, JsMap, JsMutableMap, JsPromise, JsBuffer, JsTypedArray, JsException, JsIterable, JsProxy
[[c.__name__ for c in (JsCallable, JsArray, JsMap, JsMutableMap, JsPromise, JsBuffer, JsTypedArray, JsException, JsProxy) if isinstance(x, c)] for x in js.diffKinds]`);
  },
  "to_js": (py) => value(py, `
from pyodide.ffi import to_js
import js
[js.JSON.stringify(to_js([1, (2, 3), {"a": [4]}])), to_js({1, 2}).constructor.name,
 to_js({"a": 1}).constructor.name, to_js({"a": 1}, dict_converter=js.Map.new).constructor.name,
 list(to_js(b"ab")), to_js(b"ab").constructor.name, type(to_js([[1]], depth=1)[0]).__name__,
 to_js(5), to_js("s")]`),
  "to_py": (py) => {
    globalThis.diffNested = { a: [1, { b: new Map([[1, 2]]) }], s: new Set([1]), u: new Int16Array([1, -1]) };
    return value(py, `
d = js.diffNested.to_py()
[sorted(d), d["a"][0], type(d["a"][1]).__name__, d["a"][1]["b"] == {1: 2}, d["s"] == {1},
 d["u"].tolist(), d["u"].format, type(js.diffNested.to_py(depth=1)["a"]).__name__]`);
  },
  "PyProxy": (py) => {
    const d = py.runPython("{'k': [1, 2], 'n': 1}");
    const list = py.runPython("[1, 2, 3]");
    const fn = py.runPython("def fn(a, *, b=0):\n    return a * 10 + b\nfn");
    const answer = [
      d.type, d.length, d.get("n"), d.has("k"), d.has("z"), d.get("z"), [...d], d.toString(),
      JSON.stringify(d.toJs({ dict_converter: Object.fromEntries })), typeof d, typeof fn,
      list.type, list.length, [...list], list.get(0), list.toJs(), fn(2), fn.callKwargs(2, { b: 3 }),
      d instanceof py.ffi.PyProxy, d instanceof py.ffi.PyDict, list instanceof py.ffi.PyDict,
      fn instanceof py.ffi.PyCallable, list instanceof py.ffi.PyProxyWithLength,
    ];
    d.set("m", 5);
    answer.push(d.get("m"));
    const copy = d.copy();
    d.destroy();
    answer.push(caught(() => d.get("n")).name, copy.get("n"));
    copy.destroy();
    list.destroy();
    fn.destroy();
    return answer;
  },
  "globals, pyimport, toPy, registerJsModule": (py) => {
    py.globals.set("diffGlobal", 5);
    py.registerJsModule("diff_module", { value: 7 });
    const json = py.pyimport("json");
    const answer = [
      py.runPython("diffGlobal + 1"), py.globals.get("diffGlobal"), py.globals.has("diffGlobal"),
      json.dumps(py.toPy({ a: [1, 2] })), py.runPython("from diff_module import value\nvalue"),
      py.toPy([1, 2]).type, py.toPy({ a: 1 }).type, py.toPy(new Map([[1, 2]])).toString(),
    ];
    json.destroy();
    py.unregisterJsModule("diff_module");
    return answer;
  },
  "borrowed and kept proxies": (py) => {
    globalThis.diffKeep = (f) => { globalThis.diffKept = f; };
    py.runPython("import js\njs.diffKeep(lambda: 1)");
    const borrowed = caught(() => globalThis.diffKept()).name;
    py.runPython("from pyodide.ffi import create_proxy, create_once_callable\nkept = create_proxy(lambda: 2)\njs.diffKeep(kept)");
    const kept = [globalThis.diffKept(), globalThis.diffKept()];
    py.runPython("kept.destroy()");
    py.runPython("js.diffKeep(create_once_callable(lambda: 3))");
    const once = [globalThis.diffKept(), caught(() => globalThis.diffKept()).name];
    return [borrowed, kept, once];
  },
  "errors": (py) => {
    globalThis.diffThrow = () => { throw new RangeError("out of range"); };
    return [
      caught(() => py.runPython("def f():\n    raise ValueError('oops')\nf()")),
      caught(() => py.runPython("1/0")),
      caught(() => py.runPython("import js\njs.diffThrow()")),
      value(py, "from pyodide.ffi import JsException\ntry:\n    js.diffThrow()\nexcept JsException as e:\n    r = [e.name, e.message, str(e)]\nr"),
      value(py, "def g():\n    raise KeyError('k')\ntry:\n    js.Function.prototype.call.call(g)\nexcept KeyError as e:\n    r = repr(e)\nr"),
      caught(() => py.runPython("js.noSuchThingAnywhere")),
    ];
  },
  "asyncio on the JS event loop": async (py) => {
    globalThis.diffLater = (v) => new Promise((resolve) => setTimeout(() => resolve(v), 5));
    const awaited = await py.runPythonAsync("import js\nawait js.diffLater(7)");
    const f = py.runPython("import asyncio\nasync def f(x):\n    await asyncio.sleep(0.01)\n    return x + 1\nf");
    const fromJs = await f(1);
    f.destroy();
    py.runPython("progress = []\nasync def t():\n    await asyncio.sleep(0.01)\n    progress.append(1)\ntask = asyncio.ensure_future(t())");
    // Both runtimes get time until the task is done (a loaded machine may need more than 10 ms).
    for (let k = 0; k < 500 && !value(py, "task.done()"); k++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const progressed = value(py, "[progress, task.done(), type(asyncio.get_event_loop()).__name__]");
    const rejected = await caughtAsync(py.runPythonAsync("await asyncio.sleep(0)\nraise TypeError('late')"));
    const jsRejection = await py.runPythonAsync(
      "try:\n    await js.Promise.reject(js.Error.new('no'))\nexcept Exception as e:\n    r = type(e).__name__\nr");
    const future = await py.runPythonAsync("f2 = js.diffLater(1)\n[type(f2).__name__, await f2]").then((p) => {
      const v = p.toJs();
      p.destroy();
      return v;
    });
    return [awaited, fromJs, progressed, rejected, jsRejection, future];
  },
  "stdout and stdin": (py) => {
    const lines = [];
    py.setStdout({ batched: (line) => lines.push(line) });
    py.runPython("print('hello'); print('a', 'b', sep='-')");
    const input = ["typed\n"];
    py.setStdin({ stdin: () => input.shift() ?? null });
    const read = py.runPython("input()");
    py.setStdout({ batched: () => {} });
    py.setStdin();
    return [lines, read];
  },
};

let kiln;
let pyodide;
const answers = { kiln: {}, pyodide: {} };

before(async () => {
  assert.ok(fs.existsSync(path.join(DIST, "python.wasm")), `no runtime in ${DIST}: build cpython first`);
  assert.ok(fs.existsSync(PYODIDE), "no pyodide npm package: run npm ci in tests/browser");
  const quiet = { stdout: () => {}, stderr: () => {} };
  kiln = await (await import(pathToFileURL(LOADER).href)).loadPyodide({ indexURL: DIST, ...quiet });
  pyodide = await (await import(pathToFileURL(PYODIDE).href)).loadPyodide(quiet);
});

for (const [name, scenario] of Object.entries(SCRIPT)) {
  test(name, async () => {
    const mine = await scenario(kiln);
    const theirs = await scenario(pyodide);
    answers.kiln[name] = mine;
    answers.pyodide[name] = theirs;
    assert.deepEqual(mine, theirs);
  });
}
