// A stand-in for emscripten's module factory (python.js), for the loader's unit tests: enough
// of its file system, runtime methods and CPython's C API for the loader to boot, call the
// `_kiln` helper and install packages without a built interpreter. It exports no C API to
// side modules (no LDSO main module), so the JS ⟺ Python bridge does not start on it: the
// bridge is tested on a built runtime (tests/browser/bridge*.test.mjs). Test code only; not
// part of dist/.
//
// The C API calls that run Python go to `helper`, an object of JS functions standing in for
// the `_kiln` module's functions (name → (text) => result text). Strings and objects are kept
// in a handle table whose live count (`module.live()`) shows leaks.

import { makeZip } from "./zip.mjs";

class ErrnoError extends Error {
  constructor(errno) {
    super(`errno ${errno}`);
    this.errno = errno;
  }
}

/** An in-memory file system with the calls the loader makes. */
class MockFS {
  constructor() {
    this.files = new Map(); // path → Uint8Array
    this.dirs = new Set(["/"]);
    this.devices = new Map(); // dev → ops
    this.nodes = new Map(); // path → { dev, mode }
    this.streams = [];
    this.mounts = [];
    this.cwd = "/";
    // IDBFS's stand-in records its syncs (`syncs`: [mountpoint, populate]) and how many ran
    // at once at most (`overlap`); `failSync` makes the next one fail with that error.
    const syncs = [];
    this.filesystems = {
      NODEFS: { name: "NODEFS" },
      IDBFS: {
        name: "IDBFS",
        syncs,
        failSync: undefined,
        running: 0,
        overlap: 0,
        syncfs(mount, populate, callback) {
          syncs.push([mount.mountpoint, populate]);
          this.overlap = Math.max(this.overlap, ++this.running);
          const error = this.failSync;
          this.failSync = undefined;
          setTimeout(() => {
            this.running--;
            callback(error ?? null);
          });
        },
      },
    };
    this.ErrnoError = ErrnoError;
    // emscripten opens fds 0-2 itself before the loader replaces them.
    for (let fd = 0; fd < 3; fd++) this.streams[fd] = { fd, path: `/dev/tty${fd}` };
  }
  mkdirTree(path) {
    let at = "";
    for (const part of path.split("/").filter(Boolean)) this.dirs.add((at += "/" + part));
  }
  mkdir(path) {
    this.dirs.add(path);
    return { path };
  }
  /** Folders and files only; the mock has no MEMFS, so FileTree writes through writeFile. */
  lookupPath(path) {
    if (!this.dirs.has(path) && !this.files.has(path)) throw new ErrnoError(44);
    return { node: { path } };
  }
  writeFile(path, data) {
    this.files.set(path, typeof data === "string" ? new TextEncoder().encode(data) : data);
  }
  readFile(path, { encoding } = {}) {
    const data = this.files.get(path);
    if (!data) throw new ErrnoError(44);
    return encoding === "utf8" ? new TextDecoder().decode(data) : data;
  }
  makedev(major, minor) {
    return (major << 8) | minor;
  }
  registerDevice(dev, ops) {
    this.devices.set(dev, ops);
  }
  mkdev(path, mode, dev) {
    this.nodes.set(path, { mode, dev });
  }
  getStream(fd) {
    return this.streams[fd];
  }
  close(stream) {
    delete this.streams[stream.fd];
  }
  open(path, flags) {
    let fd = 0;
    while (this.streams[fd]) fd++;
    const stream = { fd, path, flags, node: this.nodes.get(path) };
    this.streams[fd] = stream;
    this.devices.get(stream.node?.dev)?.open(stream);
    return stream;
  }
  mount(type, options, mountpoint) {
    const mount = { type: type.name, root: options.root, opts: options, mountpoint };
    this.mounts.push(mount);
    return { mount }; // emscripten returns the mount's root node
  }
  chdir(path) {
    this.cwd = path;
  }
  /** What Python's write(fd, …) does: the device's write with a slice of a heap. */
  writeFd(fd, text) {
    const stream = this.streams[fd];
    const bytes = new TextEncoder().encode(text);
    const heap = new Uint8Array(bytes.length + 4);
    heap.set(bytes, 4);
    return this.devices.get(stream.node.dev).write(stream, heap, 4, bytes.length);
  }
  /** What Python's read(fd, n) does; returns the text read. */
  readFd(fd, length) {
    const stream = this.streams[fd];
    const heap = new Uint8Array(length + 4);
    const n = this.devices.get(stream.node.dev).read(stream, heap, 4, length);
    return new TextDecoder().decode(heap.subarray(4, 4 + n));
  }
}

/**
 * A module factory like python.js's default export. Options:
 *   helper    the `_kiln` stand-in: { find_imports(text) { return "a\nb"; }, … }; a function
 *             that throws makes the call fail as a Python exception in the helper would
 *   callMain  (args) => status, for the command line
 *   fail      a set of shared-library paths whose preload fails
 * The factory records what it was given in `factory.calls` and returns the module.
 */
export function mockFactory({ helper = {}, callMain = () => 0, fail = new Set() } = {}) {
  const factory = async (moduleArg) => {
    const handles = new Map();
    let next = 1;
    const handle = (value) => {
      handles.set(next, value);
      return next++;
    };
    // Pointers into objects (PyUnicode_AsUTF8): valid while the object lives, never freed.
    const borrowed = new Map();
    const value = (h) => {
      if (!handles.has(h) && !borrowed.has(h)) throw new Error(`mock: no handle ${h}`);
      return handles.get(h) ?? borrowed.get(h);
    };
    const Module = {
      FS: new MockFS(),
      ENV: {},
      moduleArg,
      ran: [], // sources given to PyRun_SimpleString
      errors: 0, // PyErr_Print calls
      initialized: false,
      preloaded: [],
      preloadedData: [], // what each preload was given: bytes or a compiled WebAssembly.Module
      dynamicLibraries: [],
      LDSO: { loadedLibsByName: {} },
      live: () => handles.size,
      stringToNewUTF8: (text) => handle({ utf8: String(text) }),
      UTF8ToString: (h) => value(h).utf8,
      _free: (h) => void handles.delete(h),
      _Py_InitializeEx: () => { Module.initialized = true; },
      _Py_FinalizeEx: () => { Module.initialized = false; return 0; },
      _PyRun_SimpleString: (h) => {
        Module.ran.push(value(h).utf8);
        return 0;
      },
      _PyImport_ImportModule: (h) => handle({ module: value(h).utf8 }),
      _PyObject_GetAttrString: (object, name) => handle({ function: value(name).utf8 }),
      _PyUnicode_FromString: (h) => handle({ str: value(h).utf8 }),
      _PyUnicode_AsUTF8: (h) => {
        borrowed.set(next, { utf8: value(h).str });
        return next++;
      },
      _Py_DecRef: (h) => void handles.delete(h),
      _PyErr_Print: () => { Module.errors++; },
      _PyObject_CallOneArg: (fn, arg) => {
        const name = value(fn).function;
        const implementation = helper[name] ?? (() => "");
        try {
          return handle({ str: implementation(value(arg).str) });
        } catch {
          return 0;
        }
      },
      callMain: (args) => callMain(args, Module),
      FS_createPreloadedFile(parent, name, data, canRead, canWrite, onload, onerror) {
        const path = `${parent}/${name}`;
        Module.preloaded.push(path);
        Module.preloadedData.push(data);
        queueMicrotask(fail.has(path) ? onerror : onload);
      },
      // Asynchronous with `loadAsync` (the loader's libraries), else synchronous as in a
      // dlopen; the latter reads the file, as emscripten's linker does, and its `exports`
      // hold what it read (`data`: bytes, or the compiled module FS.readFile answered).
      loadDynamicLibrary(path, flags, localScope) {
        Module.dynamicLibraries.push({ path, global: flags.global, local: localScope !== undefined });
        if (flags.loadAsync) {
          Module.LDSO.loadedLibsByName[path] = { path };
          return Promise.resolve(true);
        }
        const data = Module.FS.readFile(path, { encoding: "binary" });
        Module.LDSO.loadedLibsByName[path] = { path, exports: { data } };
        return true;
      },
    };
    factory.calls.push({ moduleArg, Module });
    for (const run of moduleArg.preRun ?? []) run(Module);
    return Module;
  };
  factory.calls = [];
  return factory;
}

/**
 * A folder holding a bundle's runtime files for the loader: python.js (which calls
 * `globalThis.kilnMockFactory`, so each test sets its own), python.wasm, python_stdlib.zip,
 * and `files` ({ name: string | Uint8Array }, e.g. a lockfile and wheels). Returns its path;
 * the folder is removed when the process exits.
 */
export async function mockBundle(files = {}) {
  const fs = await import("node:fs");
  const os = await import("node:os");
  const path = await import("node:path");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kiln-loader-"));
  process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  const all = {
    "python.js": "export default (moduleArg) => globalThis.kilnMockFactory(moduleArg);\n",
    "python.wasm": new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]),
    "python_stdlib.zip": makeZip({ "os.py": "# os\n" }),
    ...files,
  };
  for (const [name, content] of Object.entries(all)) {
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}
