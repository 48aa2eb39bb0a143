import assert from "node:assert/strict";
import { test } from "node:test";
import { PyodideAPI } from "./interpreter.mjs";
import { FdSink, LineSink, installStandardStreams } from "./streams.mjs";
import { mockFactory } from "./testing/emscripten.mjs";

// The API on the mock runtime: what needs no bridge (the helper calls, streams, packages).
// Running Python, proxies and conversions need a built runtime: tests/browser/bridge*.test.mjs.

/** An API object on the mock runtime; `calls` records each helper call. */
async function api(helper = {}) {
  const calls = [];
  const recorded = Object.fromEntries(["find_imports", "packages_installed"].map((name) => [name, (text) => {
    calls.push([name, text]);
    return (helper[name] ?? (() => ""))(text);
  }]));
  const Module = await mockFactory({ helper: recorded })({});
  const output = [];
  const sink = new LineSink((line) => output.push(line));
  const devices = installStandardStreams(Module, {
    stdin: () => 0, stdout: sink, stderr: sink, ttys: [false, false, false],
  });
  const py = new PyodideAPI(Module, {
    devices, defaults: [() => 0, sink, sink], argv: [""], indexURL: "file:///dist/",
    lockFileURL: "file:///dist/pyodide-lock.json", diagnostic: () => "", version: "9.9.9",
  });
  return { py, Module, calls, output };
}

test("helper calls start the interpreter once, without the bridge, and release what they make", async () => {
  const { py, Module, calls } = await api({ find_imports: (code) => code === "import a" ? "a" : "" });
  assert.equal(Module.initialized, false, "not started by loading");
  assert.equal(await py._packageLoader._findImports("import a"), "a");
  assert.equal(Module.initialized, true);
  py._helperText("find_imports", "x");
  assert.deepEqual(calls, [["find_imports", "import a"], ["find_imports", "x"]]);
  assert.equal(Module.live(), 0, "every string and object of a call is released");
  assert.equal(py._bridge, undefined, "the mock exports no C API: no bridge");
});

test("a failing helper is an internal error; Python's API needs the bridge", async () => {
  const { py, Module } = await api({ find_imports: () => { throw new Error("helper raised"); } });
  assert.throws(() => py._helperText("find_imports", "import x"), /^Error: kiln: internal error in _kiln.find_imports$/);
  assert.equal(Module.errors, 1, "the Python error was printed");
  assert.throws(() => py.runPython("1"), /kiln: this runtime has no JavaScript bridge/);
});

test("package loads make new files importable once the interpreter runs", async () => {
  const { py, calls } = await api();
  py._packageLoader._onInstalled();
  assert.deepEqual(calls, [], "not started: nothing to tell");
  py._startInterpreter();
  py._packageLoader._onInstalled();
  assert.deepEqual(calls.at(-1), ["packages_installed", "/usr/local/lib/python3.15/site-packages"]);
  assert.equal(py.loadedPackages, py._packageLoader.loadedPackages);
});

test("setStdout, setStderr and setStdin replace the devices' sinks and source", async () => {
  const { py, Module, output } = await api();
  const lines = [];
  py.setStdout({ batched: (line) => lines.push(line), isatty: true });
  Module.FS.writeFd(1, "a\nb");
  py._flush();
  assert.deepEqual(lines, ["a", "b"]);
  assert.ok(Module.FS.getStream(1).tty, "isatty makes fd 1 a terminal");
  const bytes = [];
  py.setStderr({ raw: (byte) => bytes.push(byte) });
  Module.FS.writeFd(2, "hi");
  assert.equal(String.fromCharCode(...bytes), "hi");
  const chunks = [];
  py.setStdout({ write: (buffer) => { chunks.push(buffer.slice(0, 2)); return Math.min(2, buffer.length); } });
  Module.FS.writeFd(1, "xyz");
  assert.deepEqual(chunks.map((c) => new TextDecoder().decode(c)), ["xy", "z"]);
  py.setStdout();
  Module.FS.writeFd(1, "default\n");
  assert.deepEqual(output, ["default"], "{} goes back to the default sink");
  assert.equal(Module.FS.getStream(1).tty, undefined);
  const input = ["line\n", null];
  py.setStdin({ stdin: () => input.shift() });
  assert.equal(Module.FS.readFd(0, 64), "line\n");
  py.setStdin({ read: (buffer) => { buffer[0] = 65; return 1; } });
  assert.equal(Module.FS.readFd(0, 64), "A");
  py.setStdin({ error: true });
  assert.throws(() => Module.FS.readFd(0, 1), (error) => error.errno === 29);
  assert.ok(new FdSink(null, 1) instanceof FdSink);
});

test("the API carries Pyodide's names", async () => {
  const { py } = await api();
  for (const name of ["runPython", "runPythonAsync", "toPy", "pyimport", "registerJsModule",
    "unregisterJsModule", "setStdout", "setStderr", "setStdin", "loadPackage",
    "loadPackagesFromImports", "mountNodeFS", "isPyProxy", "setDebug", "checkInterrupt"]) {
    assert.equal(typeof py[name], "function", name);
  }
  assert.equal(py.version, "9.9.9");
  assert.equal(typeof py.ffi.PythonError, "function");
  assert.equal(typeof py.ffi.PyProxy, "function");
  assert.equal(py.isPyProxy({}), false);
});
