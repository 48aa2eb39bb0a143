// Test packages for the loader, made on the spot in a folder that also holds the runtime:
// wheels and a shared-library zip (zip archives written here), their pyodide-lock.json, and
// C code compiled with the toolchain's emcc as side modules.
//
//   alpha    pure Python
//   beta     pure Python, depends on alpha; a file in beta-2.0.data/purelib; a beta-tests entry
//   libfoo   a `dynlib` entry: libfoo.so, loaded globally; it keeps state (a call counter)
//   gamma    a C extension linked against libfoo.so; depends on beta and libfoo
//   kilnext  a single-file C extension module, no dependencies

import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const TAG = "cp315-cp315-pyemscripten_2026_5_wasm32";

/** The browser of the Chromium tests: $KILN_CHROMIUM, else Debian's package `chromium`. */
export const CHROMIUM = process.env.KILN_CHROMIUM ?? "/usr/bin/chromium";

/**
 * Starts CHROMIUM headless with playwright-core's `chromium`. Background networking is off:
 * this machine's network is closed, and Chromium would otherwise keep trying to reach its
 * services. playwright makes a fresh profile folder.
 */
export async function launchChromium(chromium) {
  assert.ok(fs.existsSync(CHROMIUM), `no browser at ${CHROMIUM}: apt-get install chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}

/** Waits until console.html in `page` is ready (or failed); fails with the page's `log`. */
export async function consoleReady(page, log) {
  await page.waitForFunction(
    () => ["ready", "error"].includes(document.getElementById("status").dataset.state),
    null, { timeout: 120_000 });
  assert.match(await page.textContent("#status"), /^Ready in \d+ ms$/, log.join("\n"));
}

/** The kiln binary: $KILN_BIN, else the newest of target/{release,debug}/kiln. */
export function kilnBinary() {
  if (process.env.KILN_BIN) return process.env.KILN_BIN;
  const found = ["release", "debug"]
    .map((profile) => path.join(REPO, "target", profile, "kiln"))
    .filter((p) => fs.existsSync(p))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  return found[0];
}

const MIME_TYPES = {
  ".wasm": "application/wasm",
  ".mjs": "text/javascript",
  ".js": "text/javascript",
  ".json": "application/json",
  ".html": "text/html; charset=utf-8",
  ".zip": "application/octet-stream",
  ".whl": "application/octet-stream",
  ".png": "image/png",
};

/** A static file server for `root` on 127.0.0.1 (a free port); it logs the paths asked for. */
export async function serve(root) {
  const requests = [];
  const server = http.createServer((request, response) => {
    const url = new URL(request.url, "http://127.0.0.1");
    requests.push(url.pathname);
    const file = path.join(root, decodeURIComponent(url.pathname));
    if (!file.startsWith(root + path.sep) || request.method !== "GET") {
      response.writeHead(404).end();
      return;
    }
    fs.readFile(file, (error, data) => {
      if (error) {
        response.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
        return;
      }
      response.writeHead(200, {
        "Content-Type": MIME_TYPES[path.extname(file)] ?? "application/octet-stream",
        "Content-Length": data.length,
        "Cache-Control": "no-cache",
      });
      response.end(data);
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    requests,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/**
 * `kiln serve dir` on a free port (the product's server: MIME types, cross-origin isolation
 * headers). Resolves to { url, close() }.
 */
export async function kilnServe(kiln, dir) {
  const server = spawn(kiln, ["serve", "--port", "0", dir], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise((resolve, reject) => {
    let text = "";
    server.stdout.on("data", (chunk) => {
      text += chunk;
      if (text.includes("\n")) resolve(text.split("\n")[0].trim());
    });
    server.on("exit", (code) => reject(new Error(`kiln serve exited with ${code}`)));
  });
  return {
    url,
    close: () => new Promise((resolve) => {
      if (server.exitCode !== null || server.signalCode !== null) return resolve();
      server.once("exit", resolve);
      server.kill();
    }),
  };
}

/**
 * A folder serving the runtime of `runtimeDir` (links to its files) with `loader` as
 * python.mjs and `consolePage` as console.html (with console.mjs from beside it): a bundle
 * without packages.
 */
export function runtimeFolder(dir, { runtimeDir, loader, consolePage }) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  // The stdlib's core archive and its lazily fetched parts (python_stdlib-<part>.zip).
  const stdlib = fs.readdirSync(runtimeDir).filter((name) => /^python_stdlib(-[^.]+)?\.zip$/.test(name));
  for (const name of ["python.js", "python.wasm", "runtime.json", ...stdlib]) {
    fs.symlinkSync(path.resolve(runtimeDir, name), path.join(dir, name));
  }
  fs.copyFileSync(loader, path.join(dir, "python.mjs"));
  if (consolePage) {
    fs.copyFileSync(consolePage, path.join(dir, "console.html"));
    fs.copyFileSync(path.join(path.dirname(consolePage), "console.mjs"), path.join(dir, "console.mjs"));
  }
}

/**
 * The target CPython's headers: $KILN_PYTHON_INCLUDE, else those of the newest runtime build
 * in kiln's cache.
 */
function pythonInclude(kiln) {
  if (process.env.KILN_PYTHON_INCLUDE) return process.env.KILN_PYTHON_INCLUDE;
  const cache = execFileSync(kiln, ["config", "get", "cache_dir"], { encoding: "utf8" }).trim();
  const builds = path.join(cache, "builds-v0", "cpython");
  const candidates = (fs.existsSync(builds) ? fs.readdirSync(builds) : [])
    .map((key) => path.join(builds, key, "prefix", "include", "python3.15"))
    .filter((dir) => fs.existsSync(path.join(dir, "Python.h")))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  if (!candidates.length) throw new Error(`no CPython headers under ${builds}: build cpython first`);
  return candidates[0];
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

async function deflateRaw(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A zip archive of { name: string | Uint8Array }; text files deflated, binaries stored. */
export async function makeZip(files) {
  const local = [];
  const central = [];
  let offset = 0;
  for (const [name, content] of Object.entries(files)) {
    const data = typeof content === "string" ? new TextEncoder().encode(content) : content;
    const deflate = typeof content === "string";
    const packed = deflate ? await deflateRaw(data) : data;
    const nameBytes = new TextEncoder().encode(name);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(0x800, 6); // UTF-8 names
    header.writeUInt16LE(deflate ? 8 : 0, 8);
    header.writeUInt16LE(0x21, 12); // 1980-01-01
    header.writeUInt32LE(crc32(data), 14);
    header.writeUInt32LE(packed.length, 18);
    header.writeUInt32LE(data.length, 22);
    header.writeUInt16LE(nameBytes.length, 26);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(0x031e, 4); // made by: unix
    header.copy(entry, 6, 4, 30);
    entry.writeUInt32LE(0o100644 << 16 >>> 0, 38);
    entry.writeUInt32LE(offset, 42);
    local.push(header, nameBytes, packed);
    central.push(entry, nameBytes);
    offset += 30 + nameBytes.length + packed.length;
  }
  const centralBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(centralBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...local, centralBytes, end]));
}

/** A wheel: the files plus a .dist-info with METADATA, WHEEL and RECORD. */
function wheel(name, version, tag, files) {
  const info = `${name}-${version}.dist-info`;
  const all = {
    ...files,
    [`${info}/METADATA`]: `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`,
    [`${info}/WHEEL`]: "Wheel-Version: 1.0\nGenerator: kiln-tests\n" +
      `Root-Is-Purelib: ${tag.startsWith("py3")}\nTag: ${tag}\n`,
  };
  const record = Object.entries(all).map(([file, content]) => {
    const digest = createHash("sha256").update(content).digest("base64url");
    return `${file},sha256=${digest},${Buffer.byteLength(content)}`;
  });
  all[`${info}/RECORD`] = [...record, `${info}/RECORD,,`].join("\n") + "\n";
  return makeZip(all);
}

const C_GAMMA = String.raw`
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
/* In libfoo.so, a dynlib package: resolved through the global symbol table. */
extern int64_t foo_scale(int64_t x);
extern const char *foo_name(void);

static PyObject *scaled(PyObject *self, PyObject *arg) {
    long long v = PyLong_AsLongLong(arg);
    if (v == -1 && PyErr_Occurred()) return NULL;
    return PyLong_FromLongLong(foo_scale(v));
}
static PyObject *libname(PyObject *self, PyObject *unused) {
    return PyUnicode_FromString(foo_name());
}
static PyMethodDef methods[] = {
    {"scaled", scaled, METH_O, NULL},
    {"libname", libname, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "_gamma", NULL, -1, methods};
PyMODINIT_FUNC PyInit__gamma(void) { return PyModule_Create(&def); }
`;

const C_FOO = String.raw`
#include <stdint.h>
static int64_t calls; /* state: one copy of the library for every module that uses it */
int64_t foo_scale(int64_t x) { calls++; return x * 1000 + calls; }
const char *foo_name(void) { return "libfoo"; }
`;

const C_KILNEXT = String.raw`
#define PY_SSIZE_T_CLEAN
#include <Python.h>
/* sum_range(n) = 0 + 1 + ... + (n - 1) */
static PyObject *sum_range(PyObject *self, PyObject *arg) {
    long long n = PyLong_AsLongLong(arg), s = 0;
    if (n == -1 && PyErr_Occurred()) return NULL;
    for (long long i = 0; i < n; i++) s += i;
    return PyLong_FromLongLong(s);
}
static PyMethodDef methods[] = {{"sum_range", sum_range, METH_O, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "kilnext", NULL, -1, methods};
PyMODINIT_FUNC PyInit_kilnext(void) { return PyModule_Create(&def); }
`;

/*
 * A static constructor that uses Python's C API, as C++ extensions do at static initialisation
 * (Matplotlib's ft2font makes Python objects there through pybind11): it needs the interpreter
 * that imports the module to be running, as it is when dlopen runs constructors elsewhere.
 * Run earlier, pybind11's PyGILState_Ensure spun for ever (issue 17); this one says so instead.
 */
const C_CTOREXT = String.raw`
#define PY_SSIZE_T_CLEAN
#include <Python.h>
static PyObject *made; /* made by the constructor, in the interpreter that was running */

__attribute__((constructor)) static void construct(void) {
    if (!Py_IsInitialized()) {
        made = NULL;
        return;
    }
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *flags = PySys_GetObject("flags");
    PyObject *isolated = flags ? PyObject_GetAttrString(flags, "isolated") : NULL;
    made = PyUnicode_FromFormat("constructed while Python ran, isolated=%ld",
                                isolated ? PyLong_AsLong(isolated) : -1L);
    Py_XDECREF(isolated);
    PyGILState_Release(gil);
}

static PyObject *state(PyObject *self, PyObject *unused) {
    if (!made) return PyUnicode_FromString("constructed before Python started");
    return Py_NewRef(made);
}
static PyMethodDef methods[] = {{"state", state, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "ctorext", NULL, -1, methods};
PyMODINIT_FUNC PyInit_ctorext(void) { return PyModule_Create(&def); }
`;

/** Compiles the C sources with the toolchain's emcc, with the runtime's ABI flags. */
function buildSideModules(dir, runtimeDir, kiln) {
  const runtime = JSON.parse(fs.readFileSync(path.join(runtimeDir, "runtime.json"), "utf8"));
  const include = pythonInclude(kiln);
  const build = path.join(dir, "build");
  fs.mkdirSync(build, { recursive: true });
  fs.writeFileSync(path.join(build, "gamma.c"), C_GAMMA);
  fs.writeFileSync(path.join(build, "foo.c"), C_FOO);
  fs.writeFileSync(path.join(build, "kilnext.c"), C_KILNEXT);
  fs.writeFileSync(path.join(build, "ctorext.c"), C_CTOREXT);
  const flags = ["-O2", ...runtime.cflags, ...runtime.ldflags, "-sSIDE_MODULE=1"].join(" ");
  const ext = ".cpython-315-wasm32-emscripten.so";
  const script = [
    `emcc ${flags} foo.c -o libfoo.so`,
    `emcc ${flags} -I${include} gamma.c -L. -lfoo -o _gamma${ext}`,
    `emcc ${flags} -I${include} kilnext.c -o kilnext${ext}`,
    `emcc ${flags} -I${include} ctorext.c -o ctorext${ext}`,
  ].join(" && ");
  execFileSync(kiln, ["-q", "toolchain", "run", "--", "sh", "-c", script],
    { cwd: build, stdio: "inherit" });
  const read = (name) => new Uint8Array(fs.readFileSync(path.join(build, name)));
  return {
    libfoo: read("libfoo.so"), gamma: read(`_gamma${ext}`), kilnext: read(`kilnext${ext}`),
    ctorext: read(`ctorext${ext}`),
  };
}

/**
 * Makes `dir`: the runtime files of `runtimeDir` (python.js, python.wasm, the stdlib archives,
 * runtime.json, linked), the loader `loader` (copied: it finds everything beside itself),
 * `console.html`, the fixture packages and their pyodide-lock.json. Returns the lockfile.
 */
export async function makeFixtureDist(dir, { runtimeDir, loader, consolePage, kiln }) {
  runtimeFolder(dir, { runtimeDir, loader, consolePage });
  const so = buildSideModules(dir, runtimeDir, kiln);

  const files = {
    [`alpha-1.0-py3-none-any.whl`]: await wheel("alpha", "1.0", "py3-none-any", {
      "alpha/__init__.py": `VALUE = "alpha"\n`,
    }),
    [`beta-2.0-py3-none-any.whl`]: await wheel("beta", "2.0", "py3-none-any", {
      "beta/__init__.py": `import alpha\nVALUE = alpha.VALUE + "+beta"\n`,
      "beta-2.0.data/purelib/beta_extra.py": `EXTRA = True\n`,
    }),
    [`beta_tests-2.0-py3-none-any.whl`]: await wheel("beta_tests", "2.0", "py3-none-any", {
      "beta/tests/test_beta.py": `def test_value():\n    import beta\n    assert beta.VALUE\n`,
    }),
    [`libfoo-1.0.zip`]: await makeZip({ "libfoo.so": so.libfoo }),
    [`gamma-0.3-${TAG}.whl`]: await wheel("gamma", "0.3", TAG, {
      "gamma/__init__.py": `import beta\nfrom ._gamma import scaled, libname\n`,
      [`gamma/_gamma.cpython-315-wasm32-emscripten.so`]: so.gamma,
    }),
    [`kilnext-0.1-${TAG}.whl`]: await wheel("kilnext", "0.1", TAG, {
      [`kilnext.cpython-315-wasm32-emscripten.so`]: so.kilnext,
    }),
    [`ctorext-0.1-${TAG}.whl`]: await wheel("ctorext", "0.1", TAG, {
      [`ctorext.cpython-315-wasm32-emscripten.so`]: so.ctorext,
    }),
  };
  const entry = (name, version, file, fields) => ({
    depends: [], file_name: file, imports: [name], install_dir: "site", name,
    package_type: "package", sha256: createHash("sha256").update(files[file]).digest("hex"),
    shared_library: false, unvendored_tests: false, version, ...fields,
  });
  const lock = {
    info: {
      abi_version: "2026_5", arch: "wasm32", platform: "emscripten_6_0_5",
      python: "3.15.0rc2", version: "0.0.0-test",
    },
    packages: {
      alpha: entry("alpha", "1.0", "alpha-1.0-py3-none-any.whl"),
      beta: entry("beta", "2.0", "beta-2.0-py3-none-any.whl",
        { depends: ["alpha"], imports: ["beta", "beta_extra"], unvendored_tests: true }),
      "beta-tests": entry("beta-tests", "2.0", "beta_tests-2.0-py3-none-any.whl",
        { depends: ["beta"], imports: [] }),
      gamma: entry("gamma", "0.3", `gamma-0.3-${TAG}.whl`, { depends: ["beta", "libfoo"] }),
      kilnext: entry("kilnext", "0.1", `kilnext-0.1-${TAG}.whl`),
      ctorext: entry("ctorext", "0.1", `ctorext-0.1-${TAG}.whl`),
      libfoo: entry("libfoo", "1.0", "libfoo-1.0.zip", {
        imports: [], install_dir: "dynlib", package_type: "shared_library", shared_library: true,
      }),
    },
  };
  for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), bytes);
  fs.writeFileSync(path.join(dir, "pyodide-lock.json"), JSON.stringify(lock));
  return lock;
}
