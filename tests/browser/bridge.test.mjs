// The JavaScript ⟺ Python bridge in Node, on a built runtime (issue 15): the `js` module and
// pyodide.ffi (Python side), loadPyodide's API and PyProxy (JS side), errors both ways, and
// asyncio on the JS event loop. The cases follow Pyodide's documentation ("Type translations",
// the JS and Python API references), written for kiln.
//
//   KILN_DIST=dist node --test --expose-gc tests/browser/bridge.test.mjs
//
// Environment: KILN_DIST (the runtime, default dist/), KILN_LOADER (default: its python.mjs).

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { REPO } from "./fixtures.mjs";

const DIST = path.resolve(REPO, process.env.KILN_DIST ?? "dist");
const LOADER = path.resolve(REPO, process.env.KILN_LOADER ?? path.join(DIST, "python.mjs"));

let loader;
let pyodide;
const output = [];

before(async () => {
  assert.ok(fs.existsSync(path.join(DIST, "python.wasm")), `no runtime in ${DIST}: build cpython first`);
  loader = await import(pathToFileURL(LOADER).href);
  pyodide = await loader.loadPyodide({
    indexURL: DIST,
    stdout: (line) => output.push(line),
    stderr: (line) => output.push(`err: ${line}`),
  });
});

/** runPython, and the result converted deeply (then destroyed, if a proxy). */
function run(code) {
  const result = pyodide.runPython(code);
  if (result instanceof pyodide.ffi.PyProxy) {
    try {
      return result.toJs();
    } finally {
      result.destroy();
    }
  }
  return result;
}

const pythonError = (type) => (error) =>
  error instanceof loader.PythonError && error.type === type;

describe("the js module", () => {
  test("is JavaScript's global scope: attributes, calls, new, assignment", () => {
    globalThis.bridgeValue = { x: 3 };
    assert.equal(run("import js\njs.Math.max(3, 9, 4)"), 9);
    assert.equal(run("from js import bridgeValue\nbridgeValue.x"), 3);
    assert.equal(run("js.Date.new(86400000).getTime()"), 86400000);
    assert.equal(run("js.Array.new(3).length"), 3);
    run("js.bridgeAssigned = 'from python'");
    assert.equal(globalThis.bridgeAssigned, "from python");
    run("del js.bridgeAssigned");
    assert.equal("bridgeAssigned" in globalThis, false);
    assert.throws(() => run("js.noSuchGlobalHere"), pythonError("AttributeError"));
    assert.throws(() => run("from js import noSuchGlobalHere"), pythonError("ImportError"));
  });

  test("methods keep their object as `this`; keyword arguments become one object", () => {
    globalThis.counter = { n: 1, add(k) { return this.n + k; }, opts: (o) => JSON.stringify(o) };
    assert.equal(run("import js\njs.counter.add(41)"), 42);
    assert.equal(run("f = js.counter.add\nf(1)"), 2);
    assert.equal(run("js.counter.opts(a=1, b='x')"), '{"a":1,"b":"x"}');
  });

  test("names that are Python keywords take a trailing underscore", () => {
    globalThis.people = { global: "lots", from: 1, from_: 2 };
    assert.equal(run("from js import people\npeople.global_"), "lots");
    assert.deepEqual(run("(people.from_, people.from__)"), [1, 2]);
    assert.equal(run("js.Array.from_([1, 2]).length"), 2);
    assert.ok(run("'from_' in dir(people) and 'from__' in dir(people)"));
    globalThis.lambda = (x) => x + 1;
    assert.equal(run("getattr(js, 'lambda')(1)"), 2);
  });

  test("iteration, len, indexing and `in` follow the JS object", () => {
    globalThis.arr = [10, 20, 30];
    globalThis.map = new Map([["a", 1], [2, "b"]]);
    globalThis.set = new Set([1, 2]);
    assert.deepEqual(run("from js import arr, map, set\n[list(arr), len(arr), arr[0], arr[-1], 20 in arr, 5 in arr]"),
      [[10, 20, 30], 3, 10, 30, true, false]);
    assert.deepEqual(run("[len(map), map['a'], map[2], 'a' in map, 'z' in map, sorted(map.keys(), key=str)]"),
      [2, 1, "b", true, false, [2, "a"]]);
    assert.deepEqual(run("[len(set), 1 in set, 3 in set, sorted(set)]"), [2, true, false, [1, 2]]);
    assert.throws(() => run("arr[3]"), pythonError("IndexError"));
    assert.throws(() => run("map['z']"), pythonError("KeyError"));
    run("arr[1] = 21\narr.append(40)\nmap['c'] = 3\ndel map[2]");
    assert.deepEqual(globalThis.arr, [10, 21, 30, 40]);
    assert.deepEqual([...globalThis.map], [["a", 1], ["c", 3]]);
    assert.deepEqual(run("list(arr[1:3])"), [21, 30]);
    assert.equal(run("arr.pop()"), 40);
    assert.deepEqual(run("list(reversed(arr))"), [30, 21, 10]);
  });

  test("JsProxy kinds: isinstance by what the object can do", () => {
    globalThis.kinds = {
      fn: () => 1, arr: [1], map: new Map(), promise: Promise.resolve(1), bytes: new Uint8Array(2),
      buffer: new ArrayBuffer(4), gen: (function* () { yield 1; })(), obj: {}, error: new RangeError("r"),
      agen: (async function* () { yield 1; })(),
    };
    const kinds = run(`
from js import kinds
from pyodide.ffi import *
def kind(x):
    return [c.__name__ for c in (JsCallable, JsArray, JsMap, JsMutableMap, JsPromise, JsBuffer,
            JsTypedArray, JsIterator, JsGenerator, JsIterable, JsAsyncIterator, JsAsyncGenerator,
            JsException) if isinstance(x, c)]
{name: kind(getattr(kinds, name)) for name in ["fn", "arr", "map", "promise", "bytes", "buffer", "gen", "obj", "error", "agen"]}
`);
    assert.deepEqual(kinds.fn, ["JsCallable"]);
    assert.deepEqual(kinds.arr, ["JsArray", "JsIterable"]);
    assert.deepEqual(kinds.map, ["JsMap", "JsMutableMap", "JsIterable"]);
    assert.deepEqual(kinds.promise, ["JsPromise"]);
    assert.deepEqual(kinds.bytes, ["JsArray", "JsBuffer", "JsTypedArray", "JsIterable"]);
    assert.deepEqual(kinds.buffer, ["JsBuffer"]);
    assert.deepEqual(kinds.gen, ["JsIterator", "JsGenerator", "JsIterable"]);
    assert.deepEqual(kinds.obj, []);
    assert.deepEqual(kinds.error, ["JsException"]);
    assert.deepEqual(kinds.agen, ["JsAsyncIterator", "JsAsyncGenerator"]);
    assert.equal(run("from pyodide.ffi import JsProxy\nisinstance(kinds.obj, JsProxy) and kinds.obj.typeof"), "object");
  });

  test("a JS generator is a Python iterator with send", () => {
    globalThis.makeGen = function* () {
      const got = yield 1;
      yield got * 2;
      return "end";
    };
    assert.deepEqual(run("g = js.makeGen()\n[next(g), g.send(21)]"), [1, 42]);
    assert.equal(run("try:\n    next(g)\nexcept StopIteration as e:\n    r = e.value\nr"), "end");
  });

  test("as_object_map and as_py_json read objects as mappings", () => {
    globalThis.jsonish = { a: 7, $c: 11, nested: { y: [1, { z: 2 }] } };
    assert.equal(run("from js import jsonish\njsonish.as_object_map()['$c']"), 11);
    assert.equal(run("jsonish.as_py_json()['nested']['y'][1]['z']"), 2);
    assert.deepEqual(run("sorted(jsonish.as_object_map())"), ["$c", "a", "nested"]);
    assert.deepEqual(run("list(jsonish.object_keys())"), ["a", "$c", "nested"]);
  });

  test("a JS object with [Symbol.dispose] is a context manager", () => {
    globalThis.disposable = () => ({ disposed: false, [Symbol.dispose]() { this.disposed = true; } });
    assert.deepEqual(run("with js.disposable() as x:\n    inside = x.disposed\n(inside, x.disposed)"), [false, true]);
  });
});

describe("conversions (Pyodide's type translation tables)", () => {
  test("immutable values convert implicitly, both ways", () => {
    assert.equal(run("None"), undefined);
    assert.equal(run("True"), true);
    assert.equal(run("3"), 3);
    assert.equal(run("2**53 - 2"), Number.MAX_SAFE_INTEGER - 1);
    // Pyodide's code (not its documentation) makes ±(2^53 - 1) a BigInt already: kiln agrees.
    assert.equal(run("2**53 - 1"), 2n ** 53n - 1n);
    assert.equal(run("2**53"), 2n ** 53n);
    assert.equal(run("-(2**70)"), -(2n ** 70n));
    assert.equal(run("1.5"), 1.5);
    assert.ok(Number.isNaN(run("float('nan')")));
    assert.equal(run("'snake 🐍 ünïcode'"), "snake 🐍 ünïcode");
    globalThis.values = [undefined, null, true, 7, 7.5, 2n ** 70n, 5n, "s\ud800", 1e300];
    assert.deepEqual(run(`
from js import values
from pyodide.ffi import jsnull, JsBigInt
[[type(v).__name__ for v in values], values[1] is jsnull, values[5] == 2**70, values[7] == 's\\ud800']
`), [["NoneType", "JsNull", "bool", "int", "float", "JsBigInt", "JsBigInt", "str", "float"], true, true, true]);
    // Round trips: a BigInt stays a BigInt, jsnull stays null, lone surrogates survive.
    globalThis.echo = (x) => x;
    assert.deepEqual(run("[js.echo(v) for v in values]"), globalThis.values);
    assert.equal(pyodide.runPython("'\\ud800x'"), "\ud800x");
  });

  test("mutable objects cross as proxies, and come back as themselves", () => {
    globalThis.identity = (x) => x;
    assert.equal(run("import js\no = object()\njs.identity(o) is o"), true);
    const list = pyodide.runPython("original = [1, 2]; original");
    assert.ok(list instanceof pyodide.ffi.PyProxy);
    const isOriginal = pyodide.runPython("lambda x: x is original");
    assert.equal(isOriginal(list), true);
    isOriginal.destroy();
    list.destroy();
    const obj = { a: 1 };
    pyodide.globals.set("jsobj", obj);
    assert.equal(pyodide.runPython("js.identity(jsobj)"), obj, "the same JS object");
    assert.equal(run("type(jsobj).__name__"), "JsProxy");
    // Tuples and bytes are proxied too (so the round trip keeps their type).
    const tuple = pyodide.runPython("(1, 2)");
    assert.equal(tuple.type, "tuple");
    tuple.destroy();
  });

  test("to_js: depth, dict_converter, create_pyproxies, pyproxies, sets, buffers", () => {
    const converted = run(`
from pyodide.ffi import to_js, destroy_proxies, ConversionError
import js
r = {}
r['deep'] = to_js([1, (2, [3])])
r['dict'] = to_js({'a': {'b': 1}})
r['map_type'] = to_js({'a': 1}, dict_converter=js.Map.new).constructor.name
r['entries'] = to_js({'a': 1}, dict_converter=js.Array.from_)
r['set'] = to_js({1, 2}).constructor.name
r['bytes'] = to_js(b'abc').constructor.name
r['shallow_inner'] = type(to_js([[1]], depth=1)[0]).__name__
try:
    to_js([object()], create_pyproxies=False)
except ConversionError as e:
    r['no_proxies'] = type(e).__name__
proxies = js.Array.new()
converted = to_js([object(), object()], pyproxies=proxies)
r['proxies'] = proxies.length
destroy_proxies(proxies)
try:
    to_js({(1, 2): 3})
except ConversionError:
    r['bad_key'] = True
r
`);
    assert.deepEqual(converted.deep, [1, [2, [3]]]);
    assert.deepEqual(converted.dict, { a: { b: 1 } });
    assert.equal(converted.map_type, "Map");
    assert.deepEqual(converted.entries, [["a", 1]]);
    assert.equal(converted.set, "Set");
    assert.equal(converted.bytes, "Uint8Array");
    assert.equal(converted.shallow_inner, "list", "a PyProxy below the depth, the list itself back in Python");
    assert.equal(converted.no_proxies, "ConversionError");
    assert.equal(converted.proxies, 2);
    assert.equal(converted.bad_key, true);
  });

  test("to_py: lists, dicts from Maps and plain objects, sets, buffers; depth; default_converter", () => {
    globalThis.rich = { a: [1, { b: 2 }], m: new Map([[1, "x"]]), s: new Set(["q"]), t: new Float32Array([1.5]) };
    class Test {}
    globalThis.notPlain = Object.setPrototypeOf({ a: 7 }, Test.prototype);
    assert.deepEqual(run(`
from js import rich, notPlain
d = rich.to_py()
[d['a'], d['m'] == {1: 'x'}, sorted(d['s']), d['t'].format, d['t'].tolist(), type(rich.to_py(depth=1)['a']).__name__, type(notPlain.to_py()).__name__]
`), [[1, { b: 2 }], true, ["q"], "f", [1.5], "JsProxy", "JsProxy"]);
    class Pair {
      constructor(first, second) {
        this.first = first;
        this.second = second;
      }
    }
    globalThis.Pair = Pair;
    assert.deepEqual(run(`
p = js.Pair.new(1, js.Pair.new(2, 3))
def default_converter(value, convert, cache):
    if value.constructor.name != "Pair":
        return value
    result = []
    cache(value, result)
    result.append(convert(value.first))
    result.append(convert(value.second))
    return result
p.to_py(default_converter=default_converter)
`), [1, [2, 3]]);
  });

  test("pyodide.toPy converts JS values deeply; a Map with 1 and true cannot become a dict", () => {
    const dict = pyodide.toPy({ a: [1, 2], b: new Map([["k", null]]) });
    assert.equal(dict.type, "dict");
    assert.equal(pyodide.globals.get("repr")(dict), "{'a': [1, 2], 'b': {'k': jsnull}}");
    dict.destroy();
    const inner = [2];
    const shallow = pyodide.toPy([1, inner], { depth: 1 });
    assert.equal(shallow.get(1), inner, "below the depth, the JS object itself (a JsProxy in Python)");
    shallow.destroy();
    assert.throws(() => pyodide.toPy(new Map([[1, "a"], [true, "b"]])), pythonError("ConversionError"));
  });

  test("buffers: getBuffer views the wasm memory without a copy; toJs copies", () => {
    const array = pyodide.runPython("data = bytearray(b'kiln'); data");
    const view = array.getBuffer();
    assert.equal(view.data.constructor.name, "Uint8Array");
    assert.equal(view.format, "B");
    assert.deepEqual(view.shape, [4]);
    assert.equal(view.readonly, false);
    view.data[0] = "K".charCodeAt(0); // writes through to the Python object
    assert.equal(run("bytes(data).decode()"), "Kiln");
    view.release();
    const copy = array.toJs();
    copy[1] = 0;
    assert.equal(run("data[1]"), "i".charCodeAt(0), "toJs made a copy");
    array.destroy();
    const floats = pyodide.runPython("import array\narray.array('d', [1.5, 2.5])");
    const fview = floats.getBuffer();
    assert.equal(fview.data.constructor.name, "Float64Array");
    assert.deepEqual([...fview.data], [1.5, 2.5]);
    fview.release();
    floats.destroy();
    globalThis.target = new Uint8Array(3);
    run("js.target.assign(b'abc')\nsrc = js.Uint8Array.new([1, 2, 3])\ndst = bytearray(3)\nsrc.assign_to(dst)");
    assert.deepEqual([...globalThis.target], [97, 98, 99]);
    assert.deepEqual(run("list(dst) + [js.target.to_bytes().decode(), js.Uint8Array.new([104, 105]).to_string()]"), [1, 2, 3, "abc", "hi"]);
  });
});

describe("proxies for JS code to keep: create_proxy, create_once_callable", () => {
  test("a borrowed proxy dies with the call; create_proxy's lives until destroy()", () => {
    globalThis.keep = (f) => { globalThis.kept = f; };
    run("import js\njs.keep(lambda: 5)");
    assert.throws(() => globalThis.kept(), /borrowed proxy was automatically destroyed/);
    run("from pyodide.ffi import create_proxy\np = create_proxy(lambda: 6)\njs.keep(p)");
    assert.equal(globalThis.kept(), 6);
    assert.equal(globalThis.kept(), 6);
    assert.equal(run("p.unwrap()()"), 6);
    run("p.destroy()");
    assert.throws(() => globalThis.kept(), /already been destroyed/);
  });

  test("create_once_callable may be called once", () => {
    run("from pyodide.ffi import create_once_callable\njs.keep(create_once_callable(lambda x: x * 2))");
    assert.equal(globalThis.kept(21), 42);
    assert.throws(() => globalThis.kept(1), /OnceProxy can only be called once/);
  });

  test("pyodide.ffi.wrappers: listeners and timers with their proxies managed", async () => {
    globalThis.wrapperTarget = new EventTarget();
    run(`
import js
from pyodide.ffi.wrappers import add_event_listener, remove_event_listener, set_timeout, clear_timeout, set_interval, clear_interval
events = []
def on_event(e):
    events.append(e.type)
add_event_listener(js.wrapperTarget, "go", on_event)
set_timeout(lambda: events.append("timeout"), 5)
cleared = set_timeout(lambda: events.append("never"), 5)
clear_timeout(cleared)
ticks = []
interval = set_interval(lambda: ticks.append(1), 5)
`);
    globalThis.wrapperTarget.dispatchEvent(new Event("go"));
    for (let k = 0; k < 200 && !run("len(ticks) >= 2 and 'timeout' in events"); k++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    run("clear_interval(interval)\nremove_event_listener(js.wrapperTarget, 'go', on_event)");
    globalThis.wrapperTarget.dispatchEvent(new Event("go"));
    assert.deepEqual(run("[events, len(ticks) >= 2]"), [["go", "timeout"], true]);
  });

  test("an event listener: Python handles a JS event", () => {
    const target = new EventTarget();
    globalThis.eventTarget = target;
    run(`
from pyodide.ffi import create_proxy
seen = []
handler = create_proxy(lambda event: seen.append(event.type))
js.eventTarget.addEventListener("ping", handler)
`);
    target.dispatchEvent(new Event("ping"));
    target.dispatchEvent(new Event("ping"));
    run("js.eventTarget.removeEventListener('ping', handler)\nhandler.destroy()");
    target.dispatchEvent(new Event("ping"));
    assert.deepEqual(run("seen"), ["ping", "ping"]);
  });
});

describe("errors", () => {
  test("a Python exception is a PythonError: type and traceback", () => {
    assert.throws(() => pyodide.runPython("def f():\n    raise ValueError('oops')\nf()"), (error) => {
      assert.ok(error instanceof loader.PythonError);
      assert.ok(error instanceof pyodide.ffi.PythonError);
      assert.equal(error.name, "PythonError");
      assert.equal(error.type, "ValueError");
      assert.match(error.message, /^Traceback \(most recent call last\):\n {2}File "<exec>", line 3, in <module>\n/);
      assert.match(error.message, /ValueError: oops\n$/);
      assert.doesNotMatch(error.message, /_kiln/, "the runtime's own frames are left out");
      return true;
    });
    assert.equal(run("import sys\ntype(sys.last_exc).__name__"), "ValueError");
  });

  test("a JS error is a JsException in Python with name, message and the JS stack", () => {
    globalThis.thrower = function throwingFunction() { throw new TypeError("bad thing"); };
    assert.deepEqual(run(`
from pyodide.ffi import JsException, JsProxy
try:
    js.thrower()
except JsException as e:
    r = [type(e).__name__, str(e), e.name, e.message, isinstance(e, JsProxy), 'throwingFunction' in e.stack]
r`), ["JsException", "TypeError: bad thing", "TypeError", "bad thing", true, true]);
    // Uncaught, it reaches JS as a PythonError whose cause is the JS error.
    assert.throws(() => pyodide.runPython("js.thrower()"), (error) =>
      error.type === "JsException" && error.cause instanceof TypeError && /JsException: TypeError: bad thing/.test(error.message));
    globalThis.throwString = () => { throw "just a string"; };
    assert.equal(run("try:\n    js.throwString()\nexcept Exception as e:\n    r = str(e)\nr"), "Error: just a string");
  });

  test("errors keep their identity on a round trip", () => {
    globalThis.callIt = (f) => f();
    assert.equal(run("def f():\n    raise KeyError('k')\ntry:\n    js.callIt(f)\nexcept KeyError as e:\n    r = repr(e)\nr"), "KeyError('k')");
    const fail = pyodide.runPython("def fail():\n    raise IndexError('i')\nfail");
    assert.throws(() => fail(), pythonError("IndexError"));
    fail.destroy();
  });
});

describe("the JS API", () => {
  test("loadPyodide is exported beside loadPython; version", () => {
    assert.equal(typeof loader.loadPyodide, "function");
    assert.equal(typeof loader.loadPython, "function");
    assert.equal(pyodide.version, loader.version);
    assert.equal(run("import pyodide\npyodide.__version__"), loader.version);
  });

  test("loadPython (kiln's first name) gives the same API, with Python started on first use", async () => {
    const lazy = await loader.loadPython({ indexURL: DIST, stdout: () => {}, stderr: () => {} });
    assert.equal(lazy._started, false);
    lazy.globals.set("data", { a: [1, 2] });
    assert.equal(lazy.runPython("data.a[1]"), 2);
    assert.equal(lazy.runPython("import sys; sys.argv[0]"), "");
  });

  test("runPython: results as proxies, globals and locals, filename", () => {
    assert.equal(pyodide.runPython("1 + 1"), 2);
    assert.equal(pyodide.runPython("x = 5;"), undefined);
    const ns = pyodide.globals.get("dict")();
    pyodide.runPython("y = 7", { globals: ns });
    assert.equal(ns.get("y"), 7);
    assert.equal(pyodide.globals.has("y"), false);
    ns.destroy();
    assert.throws(() => pyodide.runPython("1/0", { filename: "mine.py" }), (e) => /File "mine.py", line 1/.test(e.message));
  });

  test("globals: get, set, has, delete", () => {
    pyodide.globals.set("fromJs", [1, 2]);
    assert.equal(run("type(fromJs).__name__"), "JsProxy");
    assert.ok(pyodide.globals.has("fromJs"));
    pyodide.globals.delete("fromJs");
    assert.ok(!pyodide.globals.has("fromJs"));
    assert.equal(pyodide.globals.get("__name__"), "__main__");
    assert.equal(pyodide.globals.type, "dict");
  });

  test("pyimport, registerJsModule, unregisterJsModule, pyodide_py, pyodide_js", () => {
    const jsonModule = pyodide.pyimport("json");
    assert.equal(jsonModule.dumps(pyodide.toPy([1, 2])), "[1, 2]");
    jsonModule.destroy();
    pyodide.registerJsModule("my_js_namespace", { x: 3, double: (a) => a * 2 });
    assert.equal(run("from my_js_namespace import x, double\nimport my_js_namespace\nmy_js_namespace.y = 7\nx + double(2)"), 7);
    pyodide.unregisterJsModule("my_js_namespace");
    assert.throws(() => run("import my_js_namespace"), pythonError("ModuleNotFoundError"));
    assert.equal(pyodide.pyodide_py.type, "module");
    assert.equal(run("import pyodide_js\npyodide_js.version"), pyodide.version);
  });

  test("setStdout, setStderr, setStdin: batched, raw, write, stdin callbacks", () => {
    const lines = [];
    pyodide.setStdout({ batched: (line) => lines.push(line) });
    pyodide.runPython("print('one'); print('two')");
    const bytes = [];
    pyodide.setStdout({ raw: (byte) => bytes.push(byte) });
    pyodide.runPython("print('r', end='')");
    const written = [];
    pyodide.setStderr({ write: (buffer) => { written.push(new TextDecoder().decode(buffer)); return buffer.length; } });
    pyodide.runPython("import sys; sys.stderr.write('err\\n')");
    const inputs = ["first line\n", "second\n"];
    pyodide.setStdin({ stdin: () => inputs.shift() ?? null });
    assert.deepEqual(run("[input(), input()]"), ["first line", "second"]);
    assert.throws(() => run("input()"), pythonError("EOFError"));
    pyodide.setStdin({ error: true });
    assert.throws(() => run("input()"), pythonError("OSError"));
    pyodide.setStdin();
    pyodide.setStdout({ batched: (line) => output.push(line) });
    pyodide.setStderr({ batched: (line) => output.push(`err: ${line}`) });
    assert.deepEqual(lines, ["one", "two"]);
    assert.equal(String.fromCharCode(...bytes), "r");
    assert.deepEqual(written, ["err\n"]);
  });

  test("FS is emscripten's file system; loadPackagesFromImports of a package the lockfile lacks loads nothing", async () => {
    pyodide.FS.writeFile("/tmp/from-js.txt", "hello");
    assert.equal(run("open('/tmp/from-js.txt').read()"), "hello");
    assert.deepEqual(await pyodide.loadPackagesFromImports("import numpy"), []);
    // The runtime's dist has no lockfile, or one without numpy (`build-recipes cpython
    // --install` writes an empty one).
    await assert.rejects(pyodide.loadPackage("numpy"), /lockfile|no package named numpy/);
  });

  test("PyProxy: toJs, copy, destroy, get/set/has, calls, callKwargs, iteration, Symbol.dispose", () => {
    const d = pyodide.runPython("{'a': 1}");
    d.set("b", [2]);
    assert.deepEqual([d.get("a"), d.has("b"), d.has("zz"), d.get("zz"), d.length], [1, true, false, undefined, 2]);
    assert.deepEqual(d.toJs(), { a: 1, b: [2] });
    assert.deepEqual(JSON.parse(JSON.stringify(d)), { a: 1, b: [2] });
    assert.deepEqual([...d], ["a", "b"]);
    assert.equal(d.toString(), "{'a': 1, 'b': 2}", "the JS array is a JsProxy: its repr is JS's toString");
    const copy = d.copy();
    d.destroy();
    assert.throws(() => d.get("a"), /already been destroyed/);
    assert.equal(copy.get("a"), 1);
    copy[Symbol.dispose]();
    assert.throws(() => copy.length, /already been destroyed/);

    const f = pyodide.runPython("def f(x, *, offset=0):\n    return [n * n + offset for n in x]\nf");
    assert.equal(typeof f, "function");
    assert.ok(f instanceof pyodide.ffi.PyCallable);
    const squares = f([1, 2, 3]);
    assert.deepEqual(squares.toJs(), [1, 4, 9]);
    assert.deepEqual(f.callKwargs([1, 2], { offset: 7 }).toJs(), [8, 11]);
    squares.destroy();
    f.destroy();

    const obj = pyodide.runPython("class A:\n    x = 1\n    def m(self, y):\n        return y + self.x\nA()");
    assert.equal(obj.x, 1);
    obj.x = 10;
    assert.equal(obj.m(5), 15);
    assert.ok("m" in obj && !("nope" in obj));
    assert.equal(obj.type, "A");
    obj.destroy();

    const gen = pyodide.runPython("(x * x for x in range(4))");
    assert.ok(gen instanceof pyodide.ffi.PyGenerator);
    assert.deepEqual(gen.next(), { done: false, value: 0 });
    assert.deepEqual([...gen], [1, 4, 9]);
    gen.destroy();
    const list = pyodide.runPython("[3, 1, 2]");
    assert.deepEqual([list[0], list.length, list.map((x) => x * 2), list.includes(2)], [3, 3, [6, 2, 4], true]);
    list.push(4);
    assert.equal(list.toString(), "[3, 1, 2, 4]");
    list.destroy();
    const ordered = pyodide.runPython("import collections\ncollections.OrderedDict()");
    assert.equal(ordered.type, "collections.OrderedDict");
    ordered.destroy();
  });

  test("a PyProxy that JS drops is released by the FinalizationRegistry", { skip: !globalThis.gc && "run node with --expose-gc" }, async () => {
    pyodide.runPython("import sys\nclass Tracked: pass\ntracked = Tracked()");
    const before = run("sys.getrefcount(tracked)");
    (() => {
      for (let k = 0; k < 10; k++) pyodide.globals.get("tracked");
    })();
    assert.equal(run("sys.getrefcount(tracked)"), before + 10);
    for (let k = 0; k < 200 && run("sys.getrefcount(tracked)") > before; k++) {
      globalThis.gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(run("sys.getrefcount(tracked)"), before);
  });
});

describe("pyodide.http", () => {
  // The server runs in a process of its own: open_url waits synchronously for a child process
  // to fetch, and a server in this process could not answer meanwhile.
  let server;
  let base;
  before(async () => {
    const code = `
      const server = require("node:http").createServer((request, response) => {
        if (request.url === "/json") {
          response.setHeader("content-type", "application/json");
          response.end(JSON.stringify({ kiln: [1, 2] }));
        } else if (request.url === "/echo") {
          let body = "";
          request.on("data", (chunk) => { body += chunk; });
          request.on("end", () => response.end(request.method + " " + body));
        } else {
          response.statusCode = 404;
          response.end("no");
        }
      });
      server.listen(0, "127.0.0.1", () => console.log(server.address().port));`;
    const { spawn } = await import("node:child_process");
    server = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
    const port = await new Promise((resolve) => server.stdout.once("data", (data) => resolve(String(data).trim())));
    base = `http://127.0.0.1:${port}`;
  });
  after(() => server.kill());

  test("pyfetch: status, headers, json, text, bytes, options; raise_for_status", async () => {
    const result = await pyodide.runPythonAsync(`
from pyodide.http import pyfetch, HttpStatusError
r = await pyfetch("${base}/json")
data = await r.json()
posted = await (await pyfetch("${base}/echo", method="POST", body="payload")).text()
missing = await pyfetch("${base}/nope")
try:
    missing.raise_for_status()
except HttpStatusError as e:
    status = str(e)
[r.status, r.ok, r.headers["content-type"], data, posted, status, (await (await pyfetch("${base}/json")).bytes())[:2]]
`);
    const [status, ok, type, data, posted, error, bytes] = result.toJs();
    result.destroy();
    assert.deepEqual([status, ok, type, posted], [200, true, "application/json", "POST payload"]);
    assert.deepEqual(data, { kiln: [1, 2] });
    assert.match(error, /^404 Client Error/);
    assert.deepEqual([...bytes], [123, 34]);
  });

  test("open_url: a synchronous fetch (a file, and over http in Node)", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kiln-bridge-")), "t.txt");
    fs.writeFileSync(file, "local text");
    pyodide.mountNodeFS("/mnt/t", path.dirname(file));
    assert.equal(run(`from pyodide.http import open_url\nopen_url("${pathToFileURL(file).href}").read()`), "local text");
    assert.equal(run(`open_url("${base}/json").read()`), '{"kiln":[1,2]}');
  });
});

describe("asyncio on the JS event loop", () => {
  test("await a JS promise in Python (runPythonAsync, top-level await)", async () => {
    globalThis.later = (value) => new Promise((resolve) => setTimeout(() => resolve(value), 5));
    assert.equal(await pyodide.runPythonAsync("import js\nawait js.later(7)"), 7);
    assert.equal(await pyodide.runPythonAsync("await js.Promise.resolve('x')"), "x");
    globalThis.rejecting = async () => { throw new RangeError("no"); };
    const caught = await pyodide.runPythonAsync("try:\n    await js.rejecting()\nexcept Exception as e:\n    r = [type(e).__name__, e.name]\nr");
    assert.deepEqual(caught.toJs(), ["JsException", "RangeError"]);
    caught.destroy();
  });

  test("a Python coroutine awaited from JS; errors reject with PythonError", async () => {
    const f = pyodide.runPython("import asyncio\nasync def f(x):\n    await asyncio.sleep(0)\n    return x * 2\nf");
    const coroutine = f(4);
    assert.ok(coroutine instanceof pyodide.ffi.PyAwaitable);
    assert.equal(await coroutine, 8);
    coroutine.destroy();
    const g = pyodide.runPython("async def g():\n    raise ValueError('async oops')\ng");
    await assert.rejects(g(), pythonError("ValueError"));
    f.destroy();
    g.destroy();
    await assert.rejects(pyodide.runPythonAsync("await asyncio.sleep(0)\n1/0"), pythonError("ZeroDivisionError"));
  });

  test("tasks progress between JS turns without run_until_complete", async () => {
    pyodide.runPython(`
import asyncio
progress = []
async def worker():
    for k in range(3):
        await asyncio.sleep(0.01)
        progress.append(k)
task = asyncio.ensure_future(worker())
loop = asyncio.get_event_loop()
`);
    assert.deepEqual(run("progress"), []);
    // Three 10 ms sleeps; a loaded machine may take longer, so wait until the task is done.
    for (let k = 0; k < 500 && !run("task.done()"); k++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.deepEqual(run("[progress, task.done(), type(loop).__name__, loop.is_running()]"), [[0, 1, 2], true, "WebLoop", true]);
    assert.equal(run("type(loop.run_until_complete(asyncio.sleep(0))).__name__"), "PyodideTask");
  });

  test("asyncio.sleep waits on setTimeout: JS runs meanwhile", async () => {
    let ticks = 0;
    const interval = setInterval(() => ticks++, 5);
    const started = performance.now();
    await pyodide.runPythonAsync("await asyncio.sleep(0.1)");
    clearInterval(interval);
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 95, `slept ${elapsed} ms`);
    assert.ok(ticks >= 2, `JS ran ${ticks} timer callbacks meanwhile`);
  });

  test("a JS async function called from Python gives a future; its proxies live until it settles", async () => {
    globalThis.delayedLength = async (list) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return list.length;
    };
    assert.equal(await pyodide.runPythonAsync("fut = js.delayedLength([1, 2, 3])\n(type(fut).__name__, await fut)").then((p) => {
      const v = p.toJs();
      p.destroy();
      return v.join();
    }), "PyodideFuture,3");
    assert.equal(await pyodide.runPythonAsync("await js.delayedLength([1]).then(lambda n: n + 1)"), 2);
  });

  test("JsPromise.then/catch/finally_ and PyodideFuture.then", async () => {
    globalThis.seen = [];
    pyodide.runPython("js.Promise.resolve(2).then(lambda v: js.seen.push(v * 10)).finally_(lambda: js.seen.push('done'))");
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(globalThis.seen, [20, "done"]);
    assert.equal(await pyodide.runPythonAsync("await js.Promise.reject(js.Error.new('x')).catch(lambda e: e.message)"), "x");
    assert.equal(await pyodide.runPythonAsync("await asyncio.ensure_future(asyncio.sleep(0, 3)).then(lambda v: v + 1)"), 4);
  });

  test("async iteration both ways", async () => {
    globalThis.agen = async function* () { yield 1; yield 2; };
    assert.deepEqual(await pyodide.runPythonAsync("[x async for x in js.agen()]").then((p) => { const v = p.toJs(); p.destroy(); return v; }), [1, 2]);
    const pyAgen = pyodide.runPython("async def ag():\n    for k in range(3):\n        await asyncio.sleep(0)\n        yield k\nag");
    const got = [];
    for await (const x of pyAgen()) got.push(x);
    assert.deepEqual(got, [0, 1, 2]);
    pyAgen.destroy();
  });
});

describe("the command line keeps working, with the bridge", () => {
  test("node python.mjs -c can import js", async () => {
    const { spawnSync } = await import("node:child_process");
    const result = spawnSync(process.execPath, [LOADER, "-c", "import js, sys; print(js.Math.max(2, 5), sys.argv)", "a"], { encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), "5 ['-c', 'a']");
  });
});

after(() => {
  assert.ok(!output.some((line) => line.startsWith("err: ")), `unexpected stderr:\n${output.join("\n")}`);
});
