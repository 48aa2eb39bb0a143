// The object loadPyodide() and loadPython() return: Pyodide's JS API over the runtime. Python
// starts on first use (loadPyodide starts it before it resolves; the command line runs
// CPython's main() instead). Values cross through the bridge (bridge/): results are JS values
// or PyProxies, which the caller owns (bridge/bridge.mjs has the rule).

import { Bridge } from "./bridge/bridge.mjs";
import { PythonError } from "./bridge/errors.mjs";
import { PYPROXY_CLASSES } from "./bridge/pyproxy.mjs";
import { IS_NODE, readURL, toURL } from "./host.mjs";
import { SITE_PACKAGES } from "./layout.mjs";
import { mountIDBFS } from "./mounts.mjs";
import { PackageLoader } from "./packages.mjs";
import { LineSink, RawSink, WriterSink, callbackSource } from "./streams.mjs";

/** The object loadPyodide() returns (see docs/runtime.md for each member). */
export class PyodideAPI {
  constructor(Module, {
    devices, defaults, argv, indexURL, lockFileURL, diagnostic, version, jsglobals, node,
    convertNullToNone = false, packageBaseURL, lockFileContents, packageCacheDir,
  }) {
    this._Module = Module;
    this._devices = devices;
    this._defaults = defaults; // the default sinks and source, for setStdout({}) and friends
    this._started = false;
    this._argv = argv;
    this._jsglobals = jsglobals;
    this._node = node;
    this._convertNullToNone = convertNullToNone;
    this._bridge = undefined;
    /** kiln's version (also `pyodide.__version__` in Python). */
    this.version = version;
    this._packageLoader = new PackageLoader(Module, {
      indexURL, lockFileURL, diagnostic, lockFileContents, packageBaseURL, packageCacheDir,
      findImports: (code) => this._helperText("find_imports", String(code)),
      // New files in site-packages become importable (when the interpreter runs).
      onInstalled: () => {
        if (this._started) this._helperText("packages_installed", SITE_PACKAGES);
      },
    });
    /** Packages loaded so far: name → the URL of the file they came from. */
    this.loadedPackages = this._packageLoader.loadedPackages;
    /** emscripten's file system. */
    this.FS = Module.FS;
    this.ERRNO_CODES = Module.ERRNO_CODES;
    /** The JS side of pyodide.ffi: PythonError and the PyProxy classes (for instanceof). */
    this.ffi = { PythonError, ...PYPROXY_CLASSES };
    /**
     * Where the lockfile's relative `file_name`s point (Pyodide's name): micropip's freeze()
     * makes every `file_name` absolute against it, so the lockfile it writes works anywhere.
     */
    this.lockfileBaseUrl = packageBaseURL ?? indexURL;
    this._indexURL = indexURL;
    /**
     * The internals Pyodide's own Python code reads (`pyodide_js._api`), as far as micropip
     * uses them. A data property, not a getter: `from pyodide_js._api import install` makes
     * Python's import system assign the submodule back to its parent.
     */
    this._api = this._internals();
  }

  /** The standard streams' sinks (flushed after each run). */
  get _sinks() {
    return [this._devices[1].sink, this._devices[2].sink];
  }

  _flush() {
    for (const sink of this._sinks) sink.flush();
  }

  /**
   * The bridge, made once before Python first starts: it registers the built-in module
   * `_kiln_js`, which Python's start-up (this API's, or the command line's main()) then finds.
   * An interpreter that exports no C API (a test double) has no bridge.
   */
  _prepareBridge() {
    if (this._bridge !== undefined || !this._Module.LDSO?.loadedLibsByName?.__main__) return;
    this._bridge = new Bridge(this._Module, {
      jsglobals: this._jsglobals, version: this.version, node: this._node,
    });
    this._bridge.nullToNone = this._convertNullToNone;
    this._bridge.onFlush = () => this._flush();
    this._bridge.registerModule();
  }

  /**
   * Starts the interpreter (once), without the rest of the bridge: what the command line
   * needs to find a snippet's imports before main() runs.
   */
  _startInterpreter() {
    if (this._started) return;
    this._prepareBridge();
    this._Module._Py_InitializeEx(0);
    this._started = true;
    this._apiStarted = false;
  }

  /**
   * Calls a function of the `_kiln` helper with one string; returns its str result. Only the
   * few C API functions every interpreter build exports are used (no bridge needed).
   */
  _helperText(name, text) {
    this._startInterpreter();
    const M = this._Module;
    const c = (s) => M.stringToNewUTF8(s);
    const moduleName = c("_kiln");
    const helper = M._PyImport_ImportModule(moduleName);
    M._free(moduleName);
    const fnName = c(name);
    const fn = helper ? M._PyObject_GetAttrString(helper, fnName) : 0;
    M._free(fnName);
    const argText = c(text);
    const arg = M._PyUnicode_FromString(argText);
    M._free(argText);
    const result = fn ? M._PyObject_CallOneArg(fn, arg) : 0;
    M._Py_DecRef(arg);
    if (fn) M._Py_DecRef(fn);
    if (helper) M._Py_DecRef(helper);
    this._flush();
    if (!result) {
      M._PyErr_Print();
      this._flush();
      throw new Error(`kiln: internal error in _kiln.${name}`);
    }
    const answer = M.UTF8ToString(M._PyUnicode_AsUTF8(result));
    M._Py_DecRef(result);
    return answer;
  }

  /** Starts the interpreter and the bridge's Python half (once). */
  _start() {
    if (this._started && this._apiStarted) return;
    this._startInterpreter();
    const b = this._bridge;
    if (!b) throw new Error("kiln: this runtime has no JavaScript bridge (its interpreter exports no C API)");
    this._apiStarted = true;
    const { api } = b;
    const imported = (name) => {
      const module = this._import(name);
      if (!module) {
        api.PyErr_Print();
        this._flush();
        throw new Error(`kiln: the runtime's module ${name} failed to import (see stderr)`);
      }
      return module;
    };
    api.Py_DecRef(imported("_kiln_ffi"));
    this._kiln = imported("_kiln");
    {
      this._callObject(this._kiln, "install_webloop_on_import", []);
      const sys = imported("sys");
      const argv = b.toPyDeep(this._argv);
      api.PyObject_SetAttr(sys, api.name("argv"), argv);
      api.Py_DecRef(argv);
      api.Py_DecRef(sys);
      const main = imported("__main__");
      const dict = api.PyObject_GetAttr(main, api.name("__dict__"));
      api.Py_DecRef(main);
      this._globals = b.pyproxies.create(dict);
      api.Py_DecRef(dict);
      const kiln = this;
      b.pyproxies.extend(this._globals, {
        get(key) {
          return kiln._callObject(kiln._kiln, "globals_get", [this, key]);
        },
      });
      const pyodide = imported("pyodide");
      this._pyodide_py = b.pyproxies.create(pyodide);
      api.Py_DecRef(pyodide);
      // Python code can reach this API as the module `pyodide_js`, as in Pyodide.
      this.registerJsModule("pyodide_js", this);
      // Pyodide's Python code (micropip) recognises Pyodide's runtime by this module.
      api.Py_DecRef(imported("_pyodide_core"));
    }
  }

  /** A PyProxy of `__main__`'s dict (get, set, has, delete); get falls back to builtins. */
  get globals() {
    this._start();
    return this._globals;
  }

  /** A PyProxy of the Python package `pyodide`. */
  get pyodide_py() {
    this._start();
    return this._pyodide_py;
  }

  /** A new reference to the module `name` (0 and a Python error if it does not import). */
  _import(name) {
    const { api } = this._bridge;
    const c = api.cString(name);
    const module = api.PyImport_ImportModule(c);
    api.free(c);
    return module;
  }

  /** Calls `module.name(*args)` with JS arguments; returns a JS value (the caller owns proxies). */
  _callObject(module, name, args) {
    const b = this._bridge;
    const { api } = b;
    try {
      const fn = b.check(api.PyObject_GetAttr(module, api.name(name)));
      try {
        return b.callPython(fn, args);
      } finally {
        api.Py_DecRef(fn);
      }
    } catch (e) {
      throw b.jsError(e);
    } finally {
      this._flush();
    }
  }

  /** A PyProxy's Python object (for the `globals` and `locals` options), or None. */
  _namespace(proxy) {
    if (proxy === undefined) return undefined;
    const state = this._bridge.pyproxies.stateOf(proxy);
    if (state === undefined) throw new TypeError("globals and locals must be PyProxies of dicts");
    return proxy;
  }

  /**
   * Runs Python code in `__main__` (or `options.globals`); returns the value of its final
   * expression (none when the code ends with `;`): a JS value, or a PyProxy the caller owns.
   * A Python exception is thrown as PythonError (message: the traceback).
   */
  runPython(code, { globals, locals, filename = "<exec>" } = {}) {
    this._start();
    return this._callObject(this._kiln, "eval_code",
      [String(code), this._namespace(globals), this._namespace(locals), filename]);
  }

  /**
   * Like runPython, with top-level `await` allowed (Python awaits JS promises, and the code
   * runs as a task on the event loop, which runs on JS's). Resolves to the final value.
   */
  async runPythonAsync(code, { globals, locals, filename = "<exec>" } = {}) {
    this._start();
    const coroutine = this._callObject(this._kiln, "eval_code_async",
      [String(code), this._namespace(globals), this._namespace(locals), filename]);
    try {
      return await coroutine;
    } finally {
      coroutine.destroy();
      this._flush();
    }
  }

  /** A JS value converted to Python deeply (Array → list, Object and Map → dict, Set → set). */
  toPy(value, { depth = -1, defaultConverter } = {}) {
    this._start();
    const b = this._bridge;
    try {
      const object = b.toPyDeep(value, { depth, defaultConverter });
      try {
        return b.toJs(object);
      } finally {
        b.api.Py_DecRef(object);
      }
    } catch (e) {
      throw b.jsError(e);
    }
  }

  /** Imports a Python module: a PyProxy of it. */
  pyimport(name) {
    this._start();
    const b = this._bridge;
    const { api } = b;
    const module = this._import(String(name));
    try {
      if (!module) throw b.pythonError();
      return b.toJs(module);
    } finally {
      if (module) api.Py_DecRef(module);
      this._flush();
    }
  }

  /** `import name` in Python gives the JS object `module` (attributes: `from name import x`). */
  registerJsModule(name, module) {
    this._callFfi("register_js_module", [String(name), module]);
  }

  /** Undoes registerJsModule. */
  unregisterJsModule(name) {
    this._callFfi("unregister_js_module", [String(name)]);
  }

  _callFfi(name, args) {
    this._start();
    const ffi = this._import("_kiln_ffi");
    if (!ffi) throw this._bridge.pythonError();
    try {
      return this._callObject(ffi, name, args);
    } finally {
      this._bridge.api.Py_DecRef(ffi);
    }
  }

  /** Whether `value` is a PyProxy (Pyodide has it, deprecated for `instanceof ffi.PyProxy`). */
  isPyProxy(value) {
    return value instanceof PYPROXY_CLASSES.PyProxy;
  }

  /**
   * Where Python's output goes: { batched(line) } per line, { raw(byte) } per byte,
   * { write(bytes) → count } a writer, or {} for the default. `isatty` says it is a terminal.
   */
  setStdout(options = {}) {
    this._setOutput(1, options);
  }

  setStderr(options = {}) {
    this._setOutput(2, options);
  }

  _setOutput(fd, options) {
    const device = this._devices[fd];
    device.sink.flush();
    device.sink = options.batched ? new LineSink(options.batched)
      : options.raw ? new RawSink(options.raw)
        : options.write ? new WriterSink(options)
          : this._defaults[fd];
    this._setTty(fd, options.isatty);
  }

  /**
   * Where Python's input comes from: { stdin() → string | bytes | number | null } per call,
   * { read(buffer) → count }, { error: true } (reading fails), or {} for the default.
   */
  setStdin(options = {}) {
    const device = this._devices[0];
    device.read = options.error ? undefined
      : options.read ? (buffer) => options.read(buffer)
        : options.stdin ? callbackSource(options.stdin)
          : this._defaults[0];
    this._setTty(0, options.isatty);
  }

  _setTty(fd, isatty) {
    const device = this._devices[fd];
    device.tty = Boolean(isatty);
    const stream = this.FS.getStream?.(fd);
    if (stream) stream.tty = device.tty ? { ops: {} } : undefined;
  }

  /**
   * Loads packages listed in the lockfile, with everything they depend on (see
   * PackageLoader.loadPackage in packages.mjs for the options). Resolves to the names of the
   * packages loaded by this call.
   */
  loadPackage(names, options) {
    return this._packageLoader.loadPackage(names, options);
  }

  /**
   * Loads the packages whose modules `code` imports, as far as the lockfile provides them
   * (see packages.mjs). Resolves to the names of the packages loaded.
   */
  loadPackagesFromImports(code, options) {
    return this._packageLoader.loadPackagesFromImports(code, options);
  }

  /** Node: makes the host folder `hostPath` reachable at `emscriptenPath`. */
  mountNodeFS(emscriptenPath, hostPath) {
    if (!IS_NODE) throw new Error("mountNodeFS works in Node only");
    this.FS.mkdirTree(emscriptenPath);
    this.FS.mount(this.FS.filesystems.NODEFS, { root: hostPath }, emscriptenPath);
  }

  /**
   * Browser: a folder at `path` kept in IndexedDB (emscripten's IDBFS; see mounts.mjs), its
   * stored files read in before this resolves. Resolves to `{ path, syncfs() }`; call
   * `syncfs()` (a promise) to save the folder's changes, or mount with `{ autoPersist: true }`.
   */
  mountIDBFS(path, options) {
    return mountIDBFS(this.FS, String(path), options);
  }

  /** Pyodide's debug switch: kiln has no extra checks to turn on. Returns the old value. */
  setDebug(debug) {
    const old = Boolean(this._debug);
    this._debug = Boolean(debug);
    return old;
  }

  /**
   * Interrupts (Pyodide's API): `buffer` is an Int32Array (or Uint8Array) over a
   * SharedArrayBuffer that another thread writes a signal number into (2: SIGINT) to stop the
   * Python code running here with `KeyboardInterrupt`. CPython's own emscripten support reads
   * it (Python/emscripten_signal.c: `Module.Py_EmscriptenSignalBuffer`, checked every 50
   * eval-loop back edges and calls once the exported flag `Py_EMSCRIPTEN_SIGNAL_HANDLING` is
   * set), so no C of kiln's is involved. `undefined` turns it off again.
   */
  setInterruptBuffer(buffer) {
    const exports = this._Module.LDSO?.loadedLibsByName?.__main__?.exports;
    const flag = exports?.Py_EMSCRIPTEN_SIGNAL_HANDLING;
    if (!(flag instanceof WebAssembly.Global)) {
      throw new Error("kiln: this interpreter does not export Py_EMSCRIPTEN_SIGNAL_HANDLING (no interrupts)");
    }
    if (buffer) {
      this._start();
      this._callObject(this._kiln, "enable_interrupts", []);
    }
    this._Module.Py_EmscriptenSignalBuffer = buffer;
    this._interruptBuffer = buffer;
    new Int32Array(exports.memory.buffer)[flag.value >> 2] = buffer ? 1 : 0;
  }

  /**
   * For long-running JS code that Python called: if the interrupt buffer holds a signal, it is
   * taken (the buffer reset to 0) and raised, so this throws a PythonError of type
   * KeyboardInterrupt (which becomes that exception again when it reaches Python).
   */
  checkInterrupt() {
    const buffer = this._interruptBuffer;
    if (!buffer || !buffer[0]) return;
    const signal = buffer[0];
    buffer[0] = 0;
    const exports = this._Module.LDSO.loadedLibsByName.__main__.exports;
    exports.PyErr_SetInterruptEx(signal);
    if (this._bridge && exports.PyErr_CheckSignals() !== 0) throw this._bridge.pythonError();
  }

  /**
   * Unpacks an archive (Pyodide's API): `buffer` its bytes (a typed array or ArrayBuffer),
   * `format` one of shutil's (`zip`, `tar`, `gztar`, `bztar`, `xztar`) or an extension
   * (`whl`, `tar.gz`, `tgz`…), into `extractDir` (default: the working folder). Python's
   * shutil does it, so tar archives get its `data` filter (nothing outside `extractDir`).
   */
  unpackArchive(buffer, format, { extractDir } = {}) {
    this._start();
    const bytes = ArrayBuffer.isView(buffer)
      ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
      : new Uint8Array(buffer);
    this._callObject(this._kiln, "unpack_archive", [bytes, String(format), extractDir]);
  }

  /**
   * `_api`: `install` (a wheel micropip downloaded), `loadBinaryFile`, `lockfile_packages` and
   * `lockfile_info` (the lockfile read at start-up); and, for tests, `stats()`: live proxies
   * both ways and the wasm heap's size.
   */
  _internals() {
    const loader = this._packageLoader;
    return {
      stats: () => this._bridge?.stats(),
      /**
       * Installs a wheel: `buffer` its bytes, `filename` its file name (whose tags must fit
       * this runtime), `installDir` the folder (site-packages), `metadata` files for its
       * `.dist-info` (a dict's PyProxy or an object: name → text).
       */
      install: (buffer, filename, installDir, metadata) => {
        // A PyProxy argument is only lent for the call: convert it before the first await.
        const files = metadata?.toJs ? metadata.toJs() : metadata ?? {};
        const entries = files instanceof Map ? Object.fromEntries(files) : files;
        const bytes = buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);
        return loader.installWheel(bytes, String(filename), String(installDir), entries);
      },
      /** The bytes of a file: a path (Node), or a URL relative to indexURL. */
      loadBinaryFile: async (path) => {
        const text = String(path);
        const url = IS_NODE && text.startsWith("/") ? await toURL(text) : new URL(text, this._indexURL);
        return readURL(url);
      },
      get lockfile_packages() {
        return loader.lockedPackages().packages;
      },
      get lockfile_info() {
        return loader.lockedPackages().info;
      },
    };
  }

  get _module() {
    return this._Module;
  }
}
