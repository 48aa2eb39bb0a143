import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { main, pythonCommand } from "./cli.mjs";
import { mockBundle, mockFactory } from "./testing/emscripten.mjs";
import { lockEntry, makeZip } from "./testing/zip.mjs";

test("python3's arguments say what to run", () => {
  const cases = [
    [[], { kind: "stdin" }],
    [["-"], { kind: "stdin" }],
    [["-c", "print(1)", "x"], { kind: "c", value: "print(1)" }],
    [["-Sc", "pass"], { kind: "c", value: "pass" }],
    [["-cpass"], { kind: "c", value: "pass" }],
    [["-m", "json.tool"], { kind: "m", value: "json.tool" }],
    [["-W", "error", "-X", "dev", "script.py", "-c"], { kind: "script", value: "script.py" }],
    [["-Wignore", "-I", "s.py"], { kind: "script", value: "s.py" }],
    [["--check-hash-based-pycs", "never", "s.py"], { kind: "script", value: "s.py" }],
    [["-u", "--", "-c"], { kind: "script", value: "-c" }],
    [["-E", "--"], { kind: "stdin" }],
  ];
  for (const [args, expected] of cases) assert.deepEqual(pythonCommand(args), expected, args.join(" "));
});

/** Runs the command line on the mock runtime; returns the status, main()'s args, stderr. */
async function run(args, { files = {}, helper = {}, callMain = () => 0 } = {}) {
  const dir = await mockBundle(files);
  const seen = {};
  globalThis.kilnMockFactory = mockFactory({
    helper,
    callMain: (argv, Module) => {
      seen.argv = argv;
      seen.initialized = Module.initialized;
      return callMain(argv);
    },
  });
  const stderr = [];
  const write = process.stderr.write;
  process.stderr.write = (text) => stderr.push(String(text));
  let status;
  try {
    status = await main(args, pathToFileURL(path.join(dir, "python.mjs")).href);
  } finally {
    process.stderr.write = write;
  }
  const Module = globalThis.kilnMockFactory.calls[0]?.Module;
  return { status, ...seen, stderr: stderr.join(""), Module, dir };
}

test("python's arguments go to main(), and its status is the exit status", async () => {
  const result = await run(["-c", "print(1)", "a"], { callMain: () => 4 });
  assert.deepEqual([result.status, result.argv, result.stderr], [4, ["-c", "print(1)", "a"], ""]);
  const exit = await run([], { callMain: () => { throw Object.assign(new Error(), { name: "ExitStatus", status: 7 }); } });
  assert.equal(exit.status, 7);
  const crash = await run([], { callMain: () => { throw new Error("boom"); } });
  assert.equal(crash.status, 70);
  assert.match(crash.stderr, /^kiln: the runtime crashed: Error: boom/);
});

test("--packages needs a list; without a lockfile it is an error", async () => {
  assert.equal((await run(["--packages"])).status, 2);
  const missing = await run(["--packages", "alpha", "-c", "1"]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^kiln: no package lockfile at /);
  assert.equal(missing.argv, undefined, "python does not run");
});

test("the code's own imports and --packages load before main() starts afresh", async () => {
  const alpha = makeZip({ "alpha/__init__.py": "" });
  const beta = makeZip({ "beta/__init__.py": "" });
  const files = {
    "pyodide-lock.json": JSON.stringify({ packages: {
      alpha: lockEntry("alpha", "alpha-1.0-py3-none-any.whl", alpha),
      beta: lockEntry("beta", "beta-1.0-py3-none-any.whl", beta),
    } }),
    "alpha-1.0-py3-none-any.whl": alpha,
    "beta-1.0-py3-none-any.whl": beta,
  };
  const helper = { find_imports: () => "alpha" };
  const result = await run(["--packages=beta", "-c", "import alpha"], { files, helper });
  assert.equal(result.status, 0);
  assert.deepEqual(result.argv, ["-c", "import alpha"]);
  assert.equal(result.initialized, false, "the interpreter that found the imports was finalised");
  const installed = [...result.Module.FS.files.keys()]
    .filter((p) => p.includes("/site-packages/") && p.endsWith("__init__.py"));
  assert.deepEqual(installed.sort(), [
    "/usr/local/lib/python3.15/site-packages/alpha/__init__.py",
    "/usr/local/lib/python3.15/site-packages/beta/__init__.py",
  ]);
  const module = await run(["-m", "alpha.sub"], { files });
  assert.ok(module.Module.FS.files.has("/usr/local/lib/python3.15/site-packages/alpha/__init__.py"));
  // A script's imports count; a zip application's do not.
  const script = path.join(module.dir, "script.py");
  fs.writeFileSync(script, "import alpha\n");
  const fromScript = await run([script], { files, helper });
  assert.ok(fromScript.Module.FS.files.has("/usr/local/lib/python3.15/site-packages/alpha/__init__.py"));
  fs.writeFileSync(script, "PK\x03\x04 import alpha");
  const zipApp = await run([script], { files, helper });
  assert.ok(!zipApp.Module.FS.files.has("/usr/local/lib/python3.15/site-packages/alpha/__init__.py"));
  const unknown = await run(["--packages", "nope", "-c", "1"], { files });
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /^kiln: no package named nope/);
});
