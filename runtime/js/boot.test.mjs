import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { boot } from "./boot.mjs";
import { mockBundle, mockFactory } from "./testing/emscripten.mjs";
import { lockEntry, makeZip } from "./testing/zip.mjs";

/** Boots on the mock runtime in `dir`; returns the runtime, its module and the output. */
async function booted(dir, options = {}) {
  globalThis.kilnMockFactory = mockFactory();
  const output = [];
  const py = await boot({ stdout: (l) => output.push(`out:${l}`), stderr: (l) => output.push(`err:${l}`), ...options },
    pathToFileURL(path.join(dir, "python.mjs")).href);
  const [{ moduleArg, Module }] = globalThis.kilnMockFactory.calls;
  return { py, Module, moduleArg, output };
}

test("the module is made with the bundle's files, the environment and the stdlib in place", async () => {
  const dir = await mockBundle();
  const { py, Module, moduleArg } = await booted(dir, { env: { PYTHONSAFEPATH: "1", HOME: "/tmp" }, argv: ["x"] });
  const indexURL = pathToFileURL(dir).href + "/";
  assert.deepEqual(moduleArg.wasmBinary, new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  assert.equal(moduleArg.thisProgram, "/usr/local/bin/python3.15");
  assert.equal(moduleArg.locateFile("python.wasm"), `${indexURL}python.wasm`);
  assert.deepEqual(Module.ENV, {
    PYTHONHOME: "/usr/local", PYTHONUNBUFFERED: "1", PYTHON_BASIC_REPL: "1", HOME: "/tmp",
    LD_LIBRARY_PATH: "/usr/local/lib", PYTHONSAFEPATH: "1",
  });
  assert.equal(Module.FS.readFile("/usr/local/lib/python3.15/os.py", { encoding: "utf8" }), "# os\n");
  assert.ok(Module.FS.dirs.has("/usr/local/lib/python3.15/lib-dynload"));
  assert.ok(Module.FS.dirs.has("/usr/local/lib/python3.15/site-packages"));
  assert.equal(Module.FS.getStream(1).path, "/dev/kiln-stdout");
  // The bridge's Python half and Pyodide's Python API, where sys.path always reaches.
  for (const file of ["_kiln.py", "_kiln_ffi.py", "_kiln_jsproxy.py", "_kiln_pyproxy.py", "js.py",
    "pyodide/__init__.py", "pyodide/ffi/__init__.py", "pyodide/ffi/wrappers.py", "pyodide/http.py",
    "pyodide/webloop.py", "pyodide/code.py"]) {
    assert.ok(Module.FS.files.has(`/usr/local/lib/python3.15/${file}`), file);
  }
  assert.equal(Module.FS.mounts.length, 0, "host folders only when asked");
  assert.deepEqual(py._argv, ["x"]);
  assert.equal(py._packageLoader._lockFileURL, `${indexURL}pyodide-lock.json`);
  // C exit() surfaces as the exception emscripten hands over.
  const exit = new Error("exit");
  assert.throws(() => moduleArg.quit(1, exit), exit);
});


test("in a page with a DOM, Matplotlib's default backend is the canvas one; env overrides it", async () => {
  const dir = await mockBundle();
  globalThis.document = {};
  try {
    const { Module } = await booted(dir);
    assert.equal(Module.ENV.MPLBACKEND, "module://matplotlib_pyodide.wasm_backend");
    const chosen = await booted(dir, { env: { MPLBACKEND: "agg" } });
    assert.equal(chosen.Module.ENV.MPLBACKEND, "agg");
  } finally {
    delete globalThis.document;
  }
});
test("emscripten's own messages go to the output; the last error is the diagnostic", async () => {
  const { py, moduleArg, output } = await booted(await mockBundle());
  moduleArg.print("note");
  moduleArg.printErr("dlopen failed");
  py._flush();
  assert.deepEqual(output, ["out:note", "err:dlopen failed"]);
  assert.equal(py._packageLoader._diagnostic(), "dlopen failed");
});

test("options: an index folder, a lockfile elsewhere, packages, host folders", async () => {
  const wheel = makeZip({ "alpha/__init__.py": "" });
  const lockDir = await mockBundle({
    "lock.json": JSON.stringify({ packages: { alpha: lockEntry("alpha", "alpha-1.0-py3-none-any.whl", wheel) } }),
  });
  const dir = await mockBundle({ "alpha-1.0-py3-none-any.whl": wheel });
  const { py, Module } = await booted("/elsewhere", {
    indexURL: dir, lockFileURL: path.join(lockDir, "lock.json"), packages: ["alpha"], mountHost: true,
  });
  assert.deepEqual(Object.keys(py.loadedPackages), ["alpha"]);
  assert.ok(Module.FS.files.has("/usr/local/lib/python3.15/site-packages/alpha/__init__.py"));
  assert.ok(Module.FS.mounts.some((m) => process.cwd().startsWith(m.mountpoint)));
  assert.equal(Module.FS.cwd, process.cwd());
});

test("a bundle missing a file is an error naming it", async () => {
  const dir = await mockBundle();
  const fs = await import("node:fs");
  fs.unlinkSync(path.join(dir, "python_stdlib.zip"));
  await assert.rejects(booted(dir), /kiln: cannot read .*python_stdlib\.zip/);
});

test("stdLibURL: the stdlib archive from another folder, its parts beside it", async () => {
  const stdlibDir = await mockBundle();
  const dir = await mockBundle();
  const fs = await import("node:fs");
  fs.unlinkSync(path.join(dir, "python_stdlib.zip"));
  const { py, Module } = await booted(dir, { stdLibURL: path.join(stdlibDir, "python_stdlib.zip") });
  assert.equal(Module.FS.readFile("/usr/local/lib/python3.15/os.py", { encoding: "utf8" }), "# os\n");
  assert.equal(py.stdlib._indexURL, pathToFileURL(stdlibDir).href + "/");
  await assert.rejects(booted(dir, { stdLibURL: path.join(dir, "nowhere.zip") }),
    /kiln: cannot read .*nowhere\.zip/);
});
