// The loader's package support in Node: pyodide-lock.json, dependencies, integrity, wheels,
// shared libraries, imports found in code, and the command line.
//
//   node --test tests/browser/            (or: node tests/browser/loader.test.mjs)
//
// Environment: KILN_DIST (the runtime, default dist/), KILN_LOADER (default: the dist's
// python.mjs, which kiln assembles from runtime/js/), KILN_BIN (kiln, for its toolchain's emcc;
// default target/*/kiln).

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { before, test } from "node:test";
import { REPO, kilnBinary, makeFixtureDist } from "./fixtures.mjs";

const DIST = path.resolve(REPO, process.env.KILN_DIST ?? "dist");
const LOADER = path.resolve(REPO, process.env.KILN_LOADER ?? path.join(DIST, "python.mjs"));
const WORK = path.join(REPO, "target", "browser-tests", "loader");
const FIXTURE = path.join(WORK, "dist");

let loadPython;
let lock;

before(async () => {
  assert.ok(fs.existsSync(path.join(DIST, "python.wasm")), `no runtime in ${DIST}: build cpython first`);
  const kiln = kilnBinary();
  assert.ok(kiln, "no kiln binary: cargo build first, or set KILN_BIN");
  lock = await makeFixtureDist(FIXTURE, { runtimeDir: DIST, loader: LOADER, kiln });
  ({ loadPython } = await import(path.join(FIXTURE, "python.mjs")));
});

/** A runtime whose output is collected. */
async function boot(options = {}) {
  const output = [];
  const started = performance.now();
  const py = await loadPython({
    stdout: (line) => output.push(line),
    stderr: (line) => output.push(line),
    ...options,
  });
  return { py, output, bootMs: performance.now() - started };
}

/** Counts synchronous WebAssembly compiles (what browsers refuse for large modules). */
function countSyncCompiles() {
  const original = WebAssembly.Module;
  const counter = { count: 0, restore: () => { WebAssembly.Module = original; } };
  WebAssembly.Module = new Proxy(original, {
    construct(target, args) {
      counter.count++;
      return new target(...args);
    },
  });
  return counter;
}

test("loadPackage: transitive dependencies, a global shared library, metadata", async (t) => {
  const { py, bootMs } = await boot();
  py.runPython("1"); // start the interpreter: measure the package load alone
  const messages = [];
  const started = performance.now();
  const loaded = await py.loadPackage("Gamma", { messageCallback: (m) => messages.push(m) });
  const loadMs = performance.now() - started;
  assert.deepEqual(loaded, ["alpha", "beta", "libfoo", "gamma"]);
  assert.deepEqual(messages, ["Loading alpha, beta, libfoo, gamma", "Loaded alpha, beta, libfoo, gamma"]);
  assert.deepEqual(Object.keys(py.loadedPackages).sort(), ["alpha", "beta", "gamma", "libfoo"]);

  const compiles = countSyncCompiles();
  try {
    // gamma's extension module calls into libfoo.so (a dynlib entry, linked globally); the
    // library's state is shared with a later ctypes handle to it: one instance.
    assert.equal(py.runPython("import gamma; gamma.libname()"), "libfoo");
    assert.equal(py.runPython("gamma.scaled(3)"), 3001);
    assert.equal(py.runPython("gamma.scaled(3)"), 3002);
    assert.equal(py.runPython(
      "import ctypes\nfoo = ctypes.CDLL('libfoo.so')\nfoo.foo_scale.restype = ctypes.c_int64\n" +
      "foo.foo_scale.argtypes = [ctypes.c_int64]\nfoo.foo_scale(5)"), 5003);
  } finally {
    compiles.restore();
  }
  assert.equal(compiles.count, 0, "imports compiled wasm synchronously: the preload missed");

  assert.equal(py.runPython("import beta, beta_extra; beta.VALUE + str(beta_extra.EXTRA)"), "alpha+betaTrue");
  assert.equal(py.runPython("import importlib.metadata as md\n" +
    "md.version('gamma') + ' ' + md.distribution('gamma').read_text('INSTALLER')"), "0.3 kiln\n");
  assert.ok(py.FS.analyzePath("/usr/local/lib/libfoo.so").exists, "dynlib files go to /usr/local/lib");

  // Concurrent calls share the work: the second waits for the first's installation.
  const { py: other } = await boot();
  const first = other.loadPackage("kilnext");
  assert.deepEqual(await other.loadPackage("kilnext"), []);
  assert.equal(other.runPython("import kilnext; kilnext.sum_range(3)"), 3);
  assert.deepEqual(await first, ["kilnext"]);

  // Already loaded: nothing to do. A package added to an imported one's folder is found.
  assert.deepEqual(await py.loadPackage(["gamma", "beta"]), []);
  assert.deepEqual(await py.loadPackage("beta-tests"), ["beta-tests"]);
  py.runPython("import beta.tests.test_beta as tb; tb.test_value()");
  t.diagnostic(`boot ${bootMs.toFixed(0)} ms; loadPackage(gamma) with alpha, beta, libfoo ${loadMs.toFixed(0)} ms`);
});

test("loadPython({ packages }) and loadPackagesFromImports", async (t) => {
  const { py, bootMs } = await boot({ packages: ["kilnext"] });
  t.diagnostic(`boot with packages: [kilnext] ${bootMs.toFixed(0)} ms`);
  assert.equal(py.runPython("import kilnext; kilnext.sum_range(6)"), 15);
  // Only real imports count: not comments, strings, relative imports, nor modules the
  // lockfile does not provide.
  const code = [
    "import json, os.path",
    "# import alpha",
    "s = 'import gamma'",
    "from . import gamma",
    "def f():",
    "    from beta.tests import test_beta",
    "    import kilnext",
  ].join("\n");
  assert.deepEqual(await py.loadPackagesFromImports(code), ["alpha", "beta"]);
  assert.deepEqual(Object.keys(py.loadedPackages).sort(), ["alpha", "beta", "kilnext"]);
  // Code that does not parse imports nothing (running it reports the error).
  assert.deepEqual(await py.loadPackagesFromImports("import gamma ("), []);
  assert.equal(py.loadedPackages.gamma, undefined);
});

test("issue 17: extension modules are constructed when Python imports them, in its interpreter", async () => {
  // ctorext's static constructor uses the C API (as pybind11 code does at static
  // initialisation) and records the interpreter it ran in. Loaded before Python started, it
  // must not run then (Matplotlib's ft2font spun for ever there)...
  const { py } = await boot();
  assert.deepEqual(await py.loadPackage("ctorext"), ["ctorext"]);
  assert.equal(py.runPython("import ctorext; ctorext.state()"), "constructed while Python ran, isolated=0");

  // ...nor in the interpreter the command line starts to find a snippet's imports, which it
  // stops before main() starts Python afresh with the command line's options (-I here).
  const cli = (...args) => {
    const result = spawnSync(process.execPath, [path.join(FIXTURE, "python.mjs"), ...args],
      { encoding: "utf8", cwd: WORK, timeout: 120_000 });
    return { status: result.status, out: result.stdout.trim(), err: result.stderr.trim() };
  };
  assert.deepEqual(cli("-Ic", "import ctorext; print(ctorext.state())"),
    { status: 0, out: "constructed while Python ran, isolated=1", err: "" });
  // Code that names no package is not parsed: --packages loads ctorext before Python starts.
  assert.deepEqual(cli("--packages", "ctorext", "-c", "print(__import__('ctor' + 'ext').state())"),
    { status: 0, out: "constructed while Python ran, isolated=0", err: "" });
});

test("integrity: a tampered wheel is refused, naming the package and both hashes", async () => {
  const tampered = path.join(WORK, "tampered");
  fs.rmSync(tampered, { recursive: true, force: true });
  fs.cpSync(FIXTURE, tampered, { recursive: true, verbatimSymlinks: true });
  const wheel = path.join(tampered, lock.packages.beta.file_name);
  fs.appendFileSync(wheel, "x"); // still a readable zip: the archive comment scan finds its end
  const { py } = await boot({ indexURL: tampered });
  const actual = execFileSync("sha256sum", [wheel], { encoding: "utf8" }).split(" ")[0];
  await assert.rejects(py.loadPackage("gamma"), (error) => {
    assert.match(error.message, /integrity check failed for package beta \(beta-2\.0-py3-none-any\.whl\)/);
    assert.ok(error.message.includes(lock.packages.beta.sha256), error.message);
    assert.ok(error.message.includes(actual), error.message);
    return true;
  });
  assert.equal(py.loadedPackages.gamma, undefined);
  // Asked not to check, it loads.
  assert.deepEqual(await py.loadPackage("beta", { checkIntegrity: false }), ["beta"]);
});

test("errors: unknown package, dangling dependency, no lockfile", async () => {
  const { py } = await boot();
  await assert.rejects(py.loadPackage("nonesuch"), /no package named nonesuch in .*pyodide-lock\.json/);

  const broken = path.join(WORK, "broken");
  fs.rmSync(broken, { recursive: true, force: true });
  fs.cpSync(FIXTURE, broken, { recursive: true, verbatimSymlinks: true });
  const json = structuredClone(lock);
  json.packages.beta.depends.push("ghost");
  fs.writeFileSync(path.join(broken, "pyodide-lock.json"), JSON.stringify(json));
  const errors = [];
  const other = await boot({ indexURL: broken });
  await assert.rejects(other.py.loadPackage("gamma", { errorCallback: (e) => errors.push(e) }),
    /package beta depends on ghost, which .* does not list/);
  assert.equal(errors.length, 1);

  const bare = await boot({ indexURL: DIST, lockFileURL: path.join(WORK, "missing.json") });
  await assert.rejects(bare.py.loadPackage("alpha"), /no package lockfile at .*missing\.json/);
  assert.deepEqual(await bare.py.loadPackagesFromImports("import alpha"), []);
});

test("command line: --packages, the code's own imports, no lockfile", () => {
  const run = (folder, ...args) => {
    const result = spawnSync(process.execPath, [path.join(folder, "python.mjs"), ...args],
      { encoding: "utf8", cwd: WORK });
    return { status: result.status, out: result.stdout.trim(), err: result.stderr.trim() };
  };
  assert.deepEqual(run(FIXTURE, "-c", "import gamma, kilnext; print(gamma.scaled(2), kilnext.sum_range(6))"),
    { status: 0, out: "2001 15", err: "" });
  assert.deepEqual(run(FIXTURE, "--packages", "Beta,beta_extra,kilnext", "-c",
    "import sys; print(sorted(m for m in ('alpha', 'beta', 'kilnext') if m in sys.modules))\n" +
    "import beta, kilnext; print(beta.VALUE)"), { status: 0, out: "[]\nalpha+beta", err: "" });
  fs.writeFileSync(path.join(WORK, "script.py"),
    "import sys\nif sys:\n    from gamma import libname\nprint(libname(), sys.argv[1:])\n");
  assert.deepEqual(run(FIXTURE, "script.py", "a", "b"), { status: 0, out: "libfoo ['a', 'b']", err: "" });
  // Options that act at start-up apply: main() starts its own interpreter.
  assert.deepEqual(run(FIXTURE, "-Ic", "import sys, kilnext; print(kilnext.sum_range(4), sys.flags.isolated)"),
    { status: 0, out: "6 1", err: "" });
  const unknown = run(FIXTURE, "--packages=nope", "-c", "print(1)");
  assert.equal(unknown.status, 1);
  assert.match(unknown.err, /^kiln: no package named nope/);
  // A runtime without a lockfile: python as usual, and --packages is an error.
  const bare = path.join(WORK, "bare");
  fs.rmSync(bare, { recursive: true, force: true });
  fs.mkdirSync(bare);
  const stdlib = fs.readdirSync(FIXTURE).filter((name) => /^python_stdlib(-[^.]+)?\.zip$/.test(name));
  for (const name of ["python.js", "python.wasm", ...stdlib]) {
    fs.symlinkSync(path.join(FIXTURE, name), path.join(bare, name));
  }
  fs.copyFileSync(LOADER, path.join(bare, "python.mjs"));
  assert.deepEqual(run(bare, "-c", "import json; print('ok')"), { status: 0, out: "ok", err: "" });
  const noLock = run(bare, "--packages", "alpha", "-c", "1");
  assert.equal(noLock.status, 1);
  assert.match(noLock.err, /^kiln: no package lockfile at /);
});
