// kiln's loader for its CPython WebAssembly runtime (the pyemscripten platform of its build).
//
// Library use (Node or a browser):
//   import { loadPython } from "./python.mjs";
//   const py = await loadPython();
//   py.runPython("1 + 1");                 // 2
//   await py.loadPackage("numpy");         // from pyodide-lock.json, with its dependencies
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
import { main } from "./cli.mjs";
import { PythonError } from "./helper.mjs";
import { IS_NODE } from "./host.mjs";

export { PythonError };

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
 */
export async function loadPython(options = {}) {
  return boot(options, import.meta.url);
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
