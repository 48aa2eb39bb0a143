import assert from "node:assert/strict";
import { test } from "node:test";
import { HELPER_SOURCE, PythonError } from "./helper.mjs";
import { Python } from "./interpreter.mjs";
import { LineSink } from "./streams.mjs";
import { mockFactory } from "./testing/emscripten.mjs";

/** A Python object on the mock runtime; `calls` records each helper call. */
async function python(helper = {}, argv = [""]) {
  const calls = [];
  const recorded = Object.fromEntries(["_run", "_run_async", "_get", "_set", "_set_argv",
    "_find_imports", "_packages_installed"].map((name) => [name, (text) => {
    calls.push([name, text]);
    return (helper[name] ?? (() => "none\n"))(text);
  }]));
  const Module = await mockFactory({ helper: recorded })({});
  const output = [];
  const sink = new LineSink((line) => output.push(line));
  const py = new Python(Module, {
    stdout: sink, stderr: sink, argv, indexURL: "file:///dist/",
    lockFileURL: "file:///dist/pyodide-lock.json", diagnostic: () => "",
  });
  return { py, Module, calls, output };
}

test("the interpreter starts on first use, with the helper as module _kiln and sys.argv set", async () => {
  const { py, Module, calls } = await python({}, ["prog", "a\nb"]);
  assert.equal(Module.initialized, false);
  assert.equal(py.FS, Module.FS);
  py.runPython("1");
  assert.equal(Module.initialized, true);
  assert.equal(Module.ran.length, 1);
  assert.ok(Module.ran[0].includes(`exec(compile(${JSON.stringify(HELPER_SOURCE)}, "<kiln>", "exec"), _m.__dict__)`));
  assert.ok(Module.ran[0].includes(`sys.modules["_kiln"] = _m`));
  assert.deepEqual(calls, [["_set_argv", "prog\x1fa\nb"], ["_run", "1"]]);
  py.runPython("2");
  assert.equal(Module.ran.length, 1, "started once");
  // Every string and object of a call is released; the helper module stays.
  assert.equal(Module.live(), 1);
});

test("runPython returns the answer's value, throws PythonError, and flushes output", async () => {
  const { py, output } = await python({
    _run: (code) => code === "fail" ? "error\nKeyError\nTraceback…\nKeyError: 'x'" : "int\n2",
    _run_async: () => "str\ndone",
  });
  assert.equal(py.runPython("1+1"), 2);
  py._sinks[0].write(new TextEncoder().encode("partial"));
  assert.throws(() => py.runPython("fail"),
    (error) => error instanceof PythonError && error.type === "KeyError");
  assert.deepEqual(output, ["partial"], "the unfinished line is passed on after the call");
  assert.equal(await py.runPythonAsync("await x"), "done");
});

test("globals go through the helper as JSON; a failing helper is an internal error", async () => {
  const { py, Module, calls } = await python({
    _get: (name) => name === "x" ? "int\n3" : "undefined\n",
    _find_imports: () => { throw new Error("helper raised"); },
  });
  py.globals.set("data", { a: [1, 2] });
  assert.deepEqual(calls.at(-1), ["_set", '["data",{"a":[1,2]}]']);
  assert.equal(py.globals.get("x"), 3);
  assert.equal(py.globals.get("y"), undefined);
  assert.throws(() => py._call("_find_imports", "import x"), /^Error: kiln: internal error in _find_imports$/);
  assert.equal(Module.errors, 1, "the Python error was printed");
});

test("package loads make new files importable once the interpreter runs", async () => {
  const { py, calls } = await python();
  py._packageLoader._onInstalled();
  assert.deepEqual(calls, [], "not started: nothing to tell");
  py.runPython("1");
  py._packageLoader._onInstalled();
  assert.deepEqual(calls.at(-1), ["_packages_installed", "/usr/local/lib/python3.15/site-packages"]);
  assert.equal(py.loadedPackages, py._packageLoader.loadedPackages);
});
