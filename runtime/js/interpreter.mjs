// The object loadPython() returns: the interpreter, started on first use, driven through the
// `_kiln` helper (helper.mjs), with the package loader (packages.mjs) behind its methods.

import { HELPER_SOURCE, decodeAnswer } from "./helper.mjs";
import { SITE_PACKAGES } from "./layout.mjs";
import { PackageLoader } from "./packages.mjs";

/** The object loadPython() returns. */
export class Python {
  constructor(Module, { stdout, stderr, argv, indexURL, lockFileURL, diagnostic }) {
    this._Module = Module;
    this._sinks = [stdout, stderr];
    this._started = false;
    this._argv = argv;
    this._packageLoader = new PackageLoader(Module, {
      indexURL, lockFileURL, diagnostic,
      findImports: (code) => decodeAnswer(this._call("_find_imports", code)),
      // New files in site-packages become importable (when the interpreter runs).
      onInstalled: () => {
        if (this._started) this._call("_packages_installed", SITE_PACKAGES);
      },
    });
    /** Packages loaded so far: name → the URL of the file they came from. */
    this.loadedPackages = this._packageLoader.loadedPackages;
    this.FS = Module.FS;
    this.globals = {
      get: (name) => decodeAnswer(this._call("_get", name)),
      set: (name, value) => void this._call("_set", JSON.stringify([name, value])),
    };
  }

  /** Starts the interpreter (lazily: the command line runs main() instead). */
  _start() {
    if (this._started) return;
    const M = this._Module;
    M._Py_InitializeEx(0);
    const source = M.stringToNewUTF8(
      `import sys\n_m = type(sys)("_kiln")\n` +
      `exec(compile(${JSON.stringify(HELPER_SOURCE)}, "<kiln>", "exec"), _m.__dict__)\n` +
      `sys.modules["_kiln"] = _m\ndel _m, sys\n`);
    const failed = M._PyRun_SimpleString(source);
    M._free(source);
    if (failed) throw new Error("kiln: the runtime's helper failed to start (see stderr)");
    const name = M.stringToNewUTF8("_kiln");
    this._helper = M._PyImport_ImportModule(name);
    M._free(name);
    this._started = true;
    // Unit separator: C strings end at NUL, and arguments may contain newlines.
    this._call("_set_argv", this._argv.join("\x1f"));
  }

  /** Calls helper function `fn` with one string; returns its text answer. */
  _call(fn, text) {
    this._start();
    const M = this._Module;
    const fnName = M.stringToNewUTF8(fn);
    const func = M._PyObject_GetAttrString(this._helper, fnName);
    M._free(fnName);
    const argText = M.stringToNewUTF8(text);
    const arg = M._PyUnicode_FromString(argText);
    M._free(argText);
    const result = M._PyObject_CallOneArg(func, arg);
    M._Py_DecRef(arg);
    M._Py_DecRef(func);
    for (const s of this._sinks) s.flush();
    if (!result) {
      M._PyErr_Print();
      throw new Error(`kiln: internal error in ${fn}`);
    }
    const answer = M.UTF8ToString(M._PyUnicode_AsUTF8(result));
    M._Py_DecRef(result);
    return answer;
  }

  /**
   * Runs code in __main__ and returns the value of its last expression: a JS string, number
   * (BigInt beyond 2^53), boolean or undefined (None), or the repr() of any other object.
   * Throws PythonError (message = traceback) when the code raises.
   */
  runPython(code) {
    return decodeAnswer(this._call("_run", String(code)));
  }

  /** Like runPython, with top-level `await` allowed (run on a Python asyncio event loop). */
  async runPythonAsync(code) {
    return decodeAnswer(this._call("_run_async", String(code)));
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
}
