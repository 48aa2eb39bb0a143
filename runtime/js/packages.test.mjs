import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { PackageLoader, installPath, sha256Hex } from "./packages.mjs";
import { mockBundle, mockFactory } from "./testing/emscripten.mjs";
import { lockEntry, makeZip, sha256 } from "./testing/zip.mjs";

const SP = "/usr/local/lib/python3.15/site-packages";

test("wheel members go where an installer puts them", () => {
  const at = (name, dir = "site") => installPath(name, dir, "package p");
  assert.equal(at("p/__init__.py"), `${SP}/p/__init__.py`);
  assert.equal(at("p-1.0.data/purelib/q.py"), `${SP}/q.py`);
  assert.equal(at("p-1.0.data/platlib/q.so"), `${SP}/q.so`);
  assert.equal(at("p-1.0.data/scripts/tool"), "/usr/local/bin/tool");
  assert.equal(at("p-1.0.data/data/share/x"), "/usr/local/share/x");
  assert.equal(at("p-1.0.data/headers/p.h"), "/usr/local/include/python3.15/p.h");
  assert.equal(at("p-1.0.data/other/x"), null);
  assert.equal(at("libfoo.so", "dynlib"), "/usr/local/lib/libfoo.so");
  assert.equal(at("foo-1.0.dist-info/METADATA", "dynlib"), `${SP}/foo-1.0.dist-info/METADATA`);
  for (const name of ["/etc/x", "p/../../x", "p\\x"]) {
    assert.throws(() => at(name), new RegExp(`kiln: package p contains an unsafe path`));
  }
});

test("sha256Hex is WebCrypto's digest in hex", async () => {
  const bytes = new TextEncoder().encode("abc");
  assert.equal(await sha256Hex(bytes), sha256(bytes));
});

/** A package loader over a folder with a lockfile and wheels, on the mock runtime. */
async function loader(packages, files, options = {}) {
  const lock = { info: {}, packages };
  const dir = await mockBundle({ "pyodide-lock.json": JSON.stringify(lock), ...files });
  const Module = await mockFactory()({});
  const events = { installed: 0, imports: [] };
  const indexURL = pathToFileURL(dir).href + "/";
  const packageLoader = new PackageLoader(Module, {
    indexURL,
    lockFileURL: options.lockFileURL ?? new URL("pyodide-lock.json", indexURL).href,
    diagnostic: () => "diagnostic",
    findImports: (code) => {
      events.imports.push(code);
      return options.imports ?? "";
    },
    onInstalled: () => events.installed++,
  });
  return { packageLoader, Module, dir, events, indexURL };
}

const alpha = makeZip({ "alpha/__init__.py": "A = 1\n", "alpha-1.0.dist-info/METADATA": "Name: alpha\n" });
const beta = makeZip({ "beta/__init__.py": "import alpha\n", "beta-1.0.data/scripts/beta": "#!python\n" });

test("loadPackage installs dependencies first, once, and reports what it loaded", async () => {
  const { packageLoader, Module, events, indexURL } = await loader({
    alpha: lockEntry("alpha", "alpha-1.0-py3-none-any.whl", alpha),
    beta: lockEntry("beta", "beta-1.0-py3-none-any.whl", beta, { depends: ["alpha"] }),
  }, { "alpha-1.0-py3-none-any.whl": alpha, "beta-1.0-py3-none-any.whl": beta });
  const messages = [];
  assert.deepEqual(await packageLoader.loadPackage("Beta", { messageCallback: (m) => messages.push(m) }),
    ["alpha", "beta"]);
  assert.deepEqual(messages, ["Loading alpha, beta", "Loaded alpha, beta"]);
  const { FS } = Module;
  assert.equal(FS.readFile(`${SP}/alpha/__init__.py`, { encoding: "utf8" }), "A = 1\n");
  assert.equal(FS.readFile(`${SP}/alpha-1.0.dist-info/INSTALLER`, { encoding: "utf8" }), "kiln\n");
  assert.equal(FS.readFile("/usr/local/bin/beta", { encoding: "utf8" }), "#!python\n");
  assert.deepEqual(packageLoader.loadedPackages, {
    alpha: `${indexURL}alpha-1.0-py3-none-any.whl`,
    beta: `${indexURL}beta-1.0-py3-none-any.whl`,
  });
  assert.equal(events.installed, 1);
  assert.deepEqual(await packageLoader.loadPackage(["alpha", "beta"]), []);
  assert.equal(events.installed, 2);
});

test("a file that does not match the lockfile's sha256 is refused, unless asked not to check", async () => {
  const entry = lockEntry("alpha", "alpha-1.0-py3-none-any.whl", alpha);
  entry.sha256 = "0".repeat(64);
  const { packageLoader } = await loader({ alpha: entry }, { "alpha-1.0-py3-none-any.whl": alpha });
  const errors = [];
  await assert.rejects(packageLoader.loadPackage("alpha", { errorCallback: (e) => errors.push(e) }),
    /kiln: integrity check failed for package alpha \(alpha-1\.0-py3-none-any\.whl\): the lockfile says sha256 0{64}, the file has sha256 [0-9a-f]{64}/);
  assert.equal(errors.length, 1);
  // A failed package may be asked for again.
  assert.deepEqual(await packageLoader.loadPackage("alpha", { checkIntegrity: false }), ["alpha"]);
});

test("missing files, lockfiles and lockfile fields are errors naming the package", async () => {
  const { packageLoader } = await loader({
    gone: lockEntry("gone", "gone-1.0-py3-none-any.whl", alpha),
    nameless: { depends: [], imports: [] },
  }, {});
  await assert.rejects(packageLoader.loadPackage("gone"), /kiln: cannot fetch package gone: cannot read .*gone-1\.0-py3-none-any\.whl/);
  await assert.rejects(packageLoader.loadPackage("nameless"), /kiln: package nameless has no file_name in the lockfile/);

  const { packageLoader: bare, dir } = await loader({}, {}, { lockFileURL: "file:///no/such/lock.json" });
  await assert.rejects(bare.loadPackage("x"), /kiln: no package lockfile at file:\/\/\/no\/such\/lock\.json/);
  assert.equal(await bare.lock({ optional: true }), null);
  fs.writeFileSync(path.join(dir, "pyodide-lock.json"), "{");
  const { packageLoader: broken } = await loader({}, {}, { lockFileURL: pathToFileURL(path.join(dir, "pyodide-lock.json")).href });
  await assert.rejects(broken.lock(), /is not valid JSON/);
});

test("imports in code select the packages that provide them", async () => {
  const { packageLoader, events } = await loader({
    alpha: lockEntry("alpha", "alpha-1.0-py3-none-any.whl", alpha),
  }, { "alpha-1.0-py3-none-any.whl": alpha }, { imports: "os\nalpha" });
  // Code that mentions no provided module is not parsed at all.
  assert.deepEqual(await packageLoader.loadPackagesFromImports("import os"), []);
  assert.deepEqual(events.imports, []);
  assert.deepEqual(await packageLoader.loadPackagesFromImports("import os, alpha"), ["alpha"]);
  assert.deepEqual(events.imports, ["import os, alpha"]);
});

test("installWheel puts a downloaded wheel where micropip says, with its metadata", async () => {
  const { packageLoader, Module, events } = await loader({}, {});
  const target = "/home/web_user/site";
  await packageLoader.installWheel(alpha, "alpha-1.0-py3-none-any.whl", `${target}/`, {
    INSTALLER: "micropip", PYODIDE_SOURCE: "pypi", PYODIDE_REQUIRES: "[]",
  });
  const read = (p) => Module.FS.readFile(p, { encoding: "utf8" });
  assert.equal(read(`${target}/alpha/__init__.py`), "A = 1\n");
  assert.equal(read(`${target}/alpha-1.0.dist-info/INSTALLER`), "micropip");
  assert.equal(read(`${target}/alpha-1.0.dist-info/PYODIDE_SOURCE`), "pypi");
  assert.equal(events.installed, 1);
  // A wheel of another platform or Python is refused, naming the wheel, its tag and ours.
  await assert.rejects(
    packageLoader.installWheel(alpha, "alpha-1.0-cp315-cp315-pyemscripten_2026_0_wasm32.whl", target),
    /kiln: cannot install alpha-1\.0-cp315-cp315-pyemscripten_2026_0_wasm32\.whl is built for platform pyemscripten_2026_0_wasm32, but this runtime is pyemscripten_2026_5_wasm32/);
  await assert.rejects(
    packageLoader.installWheel(alpha, "alpha-1.0-cp314-cp314-pyemscripten_2026_5_wasm32.whl", target),
    /alpha-1\.0-cp314-cp314-pyemscripten_2026_5_wasm32\.whl is built for Python cp314-cp314, but this runtime is cp315 on pyemscripten_2026_5_wasm32/);
  await assert.rejects(packageLoader.installWheel(alpha, "alpha-1.0-py3-none-any.whl", "site"),
    /not an absolute path/);
  await assert.rejects(packageLoader.installWheel(alpha, "alpha-1.0-py3-none-any.whl", target, { "../x": "" }),
    /bad metadata file name \.\.\/x/);
});

test("the lockfile's packages are readable synchronously once read, keyed by normalised name", async () => {
  const { packageLoader } = await loader({
    "Alpha_Pkg": lockEntry("alpha-pkg", "alpha-1.0-py3-none-any.whl", alpha, { version: "1.0" }),
  }, { "alpha-1.0-py3-none-any.whl": alpha });
  assert.deepEqual(packageLoader.lockedPackages(), { info: {}, packages: {} });
  await packageLoader.lock();
  const { packages } = packageLoader.lockedPackages();
  assert.deepEqual(Object.keys(packages), ["alpha-pkg"]);
  assert.equal(packages["alpha-pkg"].file_name, "alpha-1.0-py3-none-any.whl");
});

test("a lockfile package loads again after it was uninstalled (its loadedPackages key removed)", async () => {
  const { packageLoader, Module } = await loader({
    alpha: lockEntry("alpha", "alpha-1.0-py3-none-any.whl", alpha),
  }, { "alpha-1.0-py3-none-any.whl": alpha });
  assert.deepEqual(await packageLoader.loadPackage("alpha"), ["alpha"]);
  assert.equal(Module.FS.readFile(`${SP}/alpha-1.0.dist-info/PYODIDE_SOURCE`, { encoding: "utf8" }), "pyodide");
  assert.deepEqual(await packageLoader.loadPackage("alpha"), []);
  Module.FS.writeFile(`${SP}/alpha/__init__.py`, "");
  delete packageLoader.loadedPackages.alpha;
  assert.deepEqual(await packageLoader.loadPackage("alpha"), ["alpha"]);
  assert.equal(Module.FS.readFile(`${SP}/alpha/__init__.py`, { encoding: "utf8" }), "A = 1\n");
});

test("lockFileContents stands for the lockfile, and packageBaseURL for where its files are", async () => {
  const dir = await mockBundle();
  fs.mkdirSync(path.join(dir, "wheels"));
  fs.writeFileSync(path.join(dir, "wheels/alpha-1.0-py3-none-any.whl"), alpha);
  const packages = { alpha: lockEntry("alpha", "alpha-1.0-py3-none-any.whl", alpha) };
  for (const contents of [JSON.stringify({ info: { abi_version: "2026_5" }, packages }),
    Promise.resolve({ info: {}, packages })]) {
    const Module = await mockFactory()({});
    const packageLoader = new PackageLoader(Module, {
      indexURL: pathToFileURL(dir).href + "/",
      lockFileURL: "file:///no/such/lock.json",
      lockFileContents: contents,
      packageBaseURL: pathToFileURL(path.join(dir, "wheels")).href + "/",
      diagnostic: () => "", findImports: () => "", onInstalled: () => {},
    });
    assert.deepEqual(await packageLoader.loadPackage("alpha"), ["alpha"]);
    assert.equal(packageLoader.loadedPackages.alpha,
      pathToFileURL(path.join(dir, "wheels/alpha-1.0-py3-none-any.whl")).href);
  }
  const Module = await mockFactory()({});
  const broken = new PackageLoader(Module, {
    indexURL: "file:///", lockFileURL: "file:///x", lockFileContents: "{",
    diagnostic: () => "", findImports: () => "", onInstalled: () => {},
  });
  await assert.rejects(broken.loadPackage("alpha"), /kiln: lockFileContents is not valid JSON/);
});

test("packageCacheDir keeps downloads: a second runtime reads them from there", async () => {
  const http = await import("node:http");
  const os = await import("node:os");
  let requests = 0;
  const server = http.createServer((request, response) => {
    requests++;
    response.end(alpha);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const base = `http://127.0.0.1:${server.address().port}/`;
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), "kiln-cache-"));
    process.once("exit", () => fs.rmSync(cache, { recursive: true, force: true }));
    const lockFileContents = { packages: { alpha: lockEntry("alpha", "alpha-1.0-py3-none-any.whl", alpha) } };
    const load = async () => {
      const Module = await mockFactory()({});
      const packageLoader = new PackageLoader(Module, {
        indexURL: base, lockFileURL: `${base}lock.json`, lockFileContents, packageCacheDir: cache,
        diagnostic: () => "", findImports: () => "", onInstalled: () => {},
      });
      assert.deepEqual(await packageLoader.loadPackage("alpha"), ["alpha"]);
    };
    await load();
    assert.equal(requests, 1);
    assert.deepEqual(fs.readdirSync(cache), ["alpha-1.0-py3-none-any.whl"]);
    await load();
    assert.equal(requests, 1);
    // A cached file that does not match the lockfile is downloaded again.
    fs.writeFileSync(path.join(cache, "alpha-1.0-py3-none-any.whl"), "stale");
    await load();
    assert.equal(requests, 2);
    assert.deepEqual(new Uint8Array(fs.readFileSync(path.join(cache, "alpha-1.0-py3-none-any.whl"))), new Uint8Array(alpha));
  } finally {
    server.close();
  }
});
