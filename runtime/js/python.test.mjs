import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as loader from "./python.mjs";
import { PythonError } from "./helper.mjs";
import { mockBundle, mockFactory } from "./testing/emscripten.mjs";

test("the loader exports loadPython and PythonError, nothing else", () => {
  assert.deepEqual(Object.keys(loader).sort(), ["PythonError", "loadPython"]);
  assert.equal(loader.PythonError, PythonError);
});

test("loadPython boots from indexURL; by default from the loader's own folder", async () => {
  globalThis.kilnMockFactory = mockFactory({ helper: { _run: () => "int\n2" } });
  const py = await loader.loadPython({ indexURL: await mockBundle() });
  assert.equal(py.runPython("1 + 1"), 2);
  await assert.rejects(loader.loadPython(),
    (error) => error.message.includes(path.dirname(fileURLToPath(import.meta.url))));
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
