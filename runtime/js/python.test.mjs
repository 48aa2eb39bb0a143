import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as loader from "./python.mjs";
import { PythonError } from "./bridge/errors.mjs";
import { KILN_VERSION } from "./layout.mjs";
import { mockBundle, mockFactory } from "./testing/emscripten.mjs";

test("the loader exports loadPyodide, loadPython, PythonError and version", () => {
  assert.deepEqual(Object.keys(loader).sort(), ["PythonError", "loadPyodide", "loadPython", "version"]);
  assert.equal(loader.PythonError, PythonError);
  assert.equal(loader.version, KILN_VERSION);
});

test("loadPython boots from indexURL; by default from the loader's own folder", async () => {
  globalThis.kilnMockFactory = mockFactory();
  const py = await loader.loadPython({ indexURL: await mockBundle() });
  assert.equal(py.version, KILN_VERSION);
  assert.equal(globalThis.kilnMockFactory.calls[0].Module.initialized, false, "Python starts on first use");
  await assert.rejects(loader.loadPython(),
    (error) => error.message.includes(path.dirname(fileURLToPath(import.meta.url))));
});

test("loadPyodide starts Python before it resolves (on the mock: no bridge, an error)", async () => {
  globalThis.kilnMockFactory = mockFactory();
  await assert.rejects(loader.loadPyodide({ indexURL: await mockBundle(), args: ["a"] }),
    /kiln: this runtime has no JavaScript bridge/);
  assert.equal(globalThis.kilnMockFactory.calls[0].Module.initialized, true);
});

test("PythonError: the class name, the traceback as message, and the way back", () => {
  const error = new PythonError("ValueError", "Traceback…\nValueError: x", 1234);
  assert.equal(error.name, "PythonError");
  assert.equal(error.type, "ValueError");
  assert.equal(error.message, "Traceback…\nValueError: x");
  assert.equal(error.__error_address, 1234);
  assert.ok(error instanceof Error);
});

test("run as a script the loader is the command line; imported, it runs nothing", async () => {
  const fs = await import("node:fs");
  const entry = fileURLToPath(new URL("python.mjs", import.meta.url));
  const importer = path.join(await mockBundle(), "importer.mjs");
  fs.writeFileSync(importer, `import ${JSON.stringify(pathToFileURL(entry).href)};\n`);
  assert.equal(spawnSync(process.execPath, [importer, "-c", "x"]).status, 0);
  // Run from the sources, it boots from their folder, which holds no runtime.
  const result = spawnSync(process.execPath, [entry, "-c", "x"], { encoding: "utf8" });
  assert.equal(result.status, 1);
  assert.match(result.stderr, /Cannot find module '.*runtime\/js\/python\.js'/);
});
