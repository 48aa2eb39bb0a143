// kiln's loader for its CPython WebAssembly runtime (the pyemscripten platform of its build).
//
// Library use (Node or a browser), with Pyodide's API:
//   import { loadPyodide } from "./python.mjs";
//   const pyodide = await loadPyodide();
//   pyodide.runPython("1 + 1");                          // 2
//   pyodide.runPython("import js; js.Math.max(3, 4)");   // 4: Python drives JS objects
//   await pyodide.loadPackage("numpy");                  // from pyodide-lock.json
//
// Command line (Node), like python3:
//   node python.mjs -c "print(1 + 1)"  |  node python.mjs script.py args…  |  node python.mjs -m mod
//   node python.mjs --packages numpy,pyyaml -c "…"   (the code's own imports load by themselves)
//
// Expects python.js, python.wasm and python_stdlib.zip in the same folder (or at `indexURL`),
// and, for packages, pyodide-lock.json and the wheels it lists.
//
// This module is the loader's public face; the work is done by the modules beside it (see
// runtime/README.md). In dist/ they are assembled into this one file.

import { boot } from "./boot.mjs";
import { PythonError } from "./bridge/errors.mjs";
import { main } from "./cli.mjs";
import { IS_NODE } from "./host.mjs";
import { KILN_VERSION } from "./layout.mjs";

export { PythonError };

/** kiln's version. */
export const version = KILN_VERSION;

/**
 * Loads the runtime. Options (all optional):
 *   indexURL  folder (URL or, in Node, a path) holding python.js, python.wasm, python_stdlib.zip;
 *             default: this module's folder.
 *   stdout, stderr  (line: string) => void, called per line; default: the process's fds in
 *             Node, console.log/console.error in a browser.
 *   stdin     () => string | Uint8Array | null; default: the process's stdin in Node, empty
 *             input in a browser.
 *   argv      sys.argv (default [""]).
 *   env       extra environment variables for Python (os.environ).
 *   mountHost Node only: mount the host's folders at their own paths (default false; the
 *             command line turns it on), or an array of folders to make reachable.
 *   packages  names of packages to load from the lockfile before returning (loadPackage).
 *   lockFileURL  where the lockfile is (URL, or a path in Node); default:
 *             pyodide-lock.json in indexURL. Wheels are found relative to indexURL.
 *   stdLibURL the stdlib's core archive (URL, or a path in Node); default:
 *             python_stdlib.zip in indexURL. Its lazy parts are fetched from its folder.
 */
export async function loadPython(options = {}) {
  return boot(options, import.meta.url);
}

/**
 * Loads the runtime and starts Python, with Pyodide's option names: indexURL, lockFileURL,
 * packages, stdout, stderr, stdin, args (sys.argv after the program name), env, jsglobals
 * (what `import js` sees; default globalThis), fsInit (called with FS before Python starts),
 * convertNullToNone; and kiln's mountHost. Resolves to the API (docs/runtime.md).
 */
export async function loadPyodide(options = {}) {
  const { args, packages, ...rest } = options;
  const argv = args !== undefined ? ["", ...args] : options.argv ?? [""];
  const pyodide = await boot({ ...rest, argv }, import.meta.url);
  pyodide._start();
  // The lockfile is read now, as Pyodide does: micropip reads its packages synchronously
  // (pyodide_js._api.lockfile_packages) when it is imported. A broken one is reported by the
  // first loadPackage.
  await pyodide._packageLoader.lock({ optional: true }).catch(() => {});
  if (packages?.length) await pyodide.loadPackage(packages);
  return pyodide;
}

if (IS_NODE && process.argv[1]) {
  const { realpathSync } = await import("node:fs");
  const { fileURLToPath } = await import("node:url");
  let invoked;
  try { invoked = realpathSync(process.argv[1]); } catch { invoked = undefined; }
  if (invoked === realpathSync(fileURLToPath(import.meta.url))) {
    process.exit(await main(process.argv.slice(2), import.meta.url));
  }
}
