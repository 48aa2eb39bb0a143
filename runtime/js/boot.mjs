// Booting the runtime: the bundle's files read, emscripten's module instantiated with the
// stdlib zip, the bridge's Python files and the environment in place, the standard streams
// and host folders installed. loadPython and loadPyodide (python.mjs) are this with the
// loader's folder as the default indexURL.

import { PYTHON_SOURCES } from "./bridge/sources.mjs";
import { IS_NODE, readBundleFile, readURL, resolveIndexURL, toURL } from "./host.mjs";
import { PyodideAPI } from "./interpreter.mjs";
import { EXECUTABLE, KILN_VERSION, LIBRARY_DIR, LOCKFILE, PREFIX, SITE_PACKAGES, STDLIB_DIR } from "./layout.mjs";
import { mountHostFolders } from "./mounts.mjs";
import { Stdlib } from "./stdlib.mjs";
import { afterCompilation, streamWasm } from "./wasm.mjs";
import { FdSink, LineSink, callbackSource, fdSource, installStandardStreams } from "./streams.mjs";

/** Matplotlib's backend in a page with a DOM (MPLBACKEND; `env` overrides it). */
export const MATPLOTLIB_PAGE_BACKEND = "module://matplotlib_pyodide.wasm_backend";

/** Loads the runtime; `options` as for loadPython, `moduleURL` the loader's own URL. */
export async function boot(options, moduleURL) {
  const indexURL = await resolveIndexURL(options.indexURL, moduleURL);
  const lockFileURL = options.lockFileURL === undefined
    ? new URL(LOCKFILE, indexURL).href
    : await toURL(options.lockFileURL);
  const nodeFs = IS_NODE ? await import("node:fs") : undefined;
  // For open_url in Node (a synchronous fetch runs in a child process).
  const node = IS_NODE ? { fs: nodeFs, child_process: await import("node:child_process") } : undefined;

  const sink = (callback, fd, consoleFn) =>
    callback ? new LineSink(callback)
      : IS_NODE ? new FdSink(nodeFs, fd)
        : new LineSink(consoleFn);
  const stdout = sink(options.stdout, 1, console.log);
  const stderr = sink(options.stderr, 2, console.error);
  const stdin = options.stdin ? callbackSource(options.stdin)
    : IS_NODE ? fdSource(nodeFs, 0) : () => 0;
  // What setStdout({}) and friends go back to.
  const defaults = [IS_NODE ? fdSource(nodeFs, 0) : () => 0, sink(undefined, 1, console.log),
    sink(undefined, 2, console.error)];

  // In browsers the interpreter downloads from now on and compiles while it does (wasm.mjs);
  // in Node it is read from disk and compiled by emscripten's glue.
  const wasm = IS_NODE ? undefined : streamWasm(new URL("python.wasm", indexURL).href);
  // Pyodide's stdLibURL: the stdlib's core archive from elsewhere (a CDN); kiln's lazily
  // fetched parts are looked for beside it.
  const stdlibURL = options.stdLibURL !== undefined ? await toURL(options.stdLibURL)
    : new URL("python_stdlib.zip", indexURL).href;
  const stdlibDir = new URL(".", stdlibURL).href;
  const [{ default: createPythonModule }, wasmBinary, stdlibZip] = await Promise.all([
    import(new URL("python.js", indexURL).href),
    IS_NODE ? readBundleFile(indexURL, "python.wasm") : undefined,
    readURL(new URL(stdlibURL)),
  ]);
  // The last diagnostic emscripten or the loader printed: why a shared library did not load,
  // for instance.
  let diagnostic = "";
  const stdlib = await Stdlib.open(stdlibZip, {
    indexURL: stdlibDir, nodeFs, onFetch: options._onStdlibFetch,
    diagnostic: (line) => {
      diagnostic = line;
      stderr.write(new TextEncoder().encode(line + "\n"));
    },
  });
  // Node without a file: URL cannot read a part synchronously: fetch them all now.
  if (IS_NODE && !stdlibDir.startsWith("file:")) await stdlib.prefetch();

  const env = {
    PYTHONHOME: PREFIX,
    // Our devices report no tty (outside the CLI on a terminal): without this, print()
    // output would sit in Python's block buffer until exit.
    PYTHONUNBUFFERED: "1",
    // The new REPL (3.13 and later) needs terminal control that the runtime lacks.
    PYTHON_BASIC_REPL: "1",
    HOME: "/home/web_user",
    LD_LIBRARY_PATH: LIBRARY_DIR,
    // In a page with a DOM, Matplotlib's figures show in the page: its default backend there is
    // matplotlib-pyodide's canvas backend (a run requirement of kiln's matplotlib recipe), as
    // in Pyodide before its WebAgg backend. Elsewhere (Node, a worker) Matplotlib picks Agg.
    ...(typeof document === "undefined" ? {} : { MPLBACKEND: MATPLOTLIB_PAGE_BACKEND }),
    ...options.env,
  };

  const created = createPythonModule({
    wasmBinary,
    instantiateWasm: wasm?.instantiateWasm,
    locateFile: (name) => new URL(name, indexURL).href,
    thisProgram: EXECUTABLE,
    // emscripten's own diagnostics (e.g. a failed dlopen), not Python's output.
    print: (line) => stdout.write(new TextEncoder().encode(line + "\n")),
    printErr: (line) => {
      diagnostic = line;
      stderr.write(new TextEncoder().encode(line + "\n"));
    },
    // C exit() (os._exit, a fatal error): surface it as a JS exception we can catch, instead
    // of ending the Node process from inside the runtime.
    quit: (status, toThrow) => { throw toThrow; },
    preRun: [
      (M) => {
        Object.assign(M.ENV, env);
        // lib-dynload is where CPython expects extension modules; an empty one spares the
        // "Could not find platform dependent libraries" warning. site-packages must exist
        // for site.py to put it on sys.path (packages get installed there).
        M.FS.mkdirTree(`${STDLIB_DIR}/lib-dynload`);
        M.FS.mkdirTree(SITE_PACKAGES);
        // The stdlib's core and the placeholders of its lazy parts (stdlib.mjs).
        stdlib.install(M.FS);
        // The bridge's Python half and Pyodide's Python API (pyodide, js, _kiln…): in the
        // standard library's folder, on sys.path even under -S and -I.
        for (const [path, text] of PYTHON_SOURCES) {
          const file = `${STDLIB_DIR}/${path}`;
          M.FS.mkdirTree(file.slice(0, file.lastIndexOf("/")));
          M.FS.writeFile(file, text);
        }
      },
    ],
  });

  const Module = await (wasm ? Promise.race([created, wasm.failure]) : created);
  await afterCompilation();

  // Which of fds 0-2 are terminals (command line only): emscripten cannot ask the host.
  const ttys = options._ttys ?? [false, false, false];
  const devices = installStandardStreams(Module, { stdin, stdout, stderr, ttys });

  if (IS_NODE && options.mountHost) {
    const extra = Array.isArray(options.mountHost) ? options.mountHost : [];
    await mountHostFolders(Module, [process.cwd(), ...extra]);
    Module.FS.chdir(process.cwd());
  }

  if (options.fsInit) await options.fsInit(Module.FS, { sitePackages: SITE_PACKAGES });

  // Where relative file_names of the lockfile point (Pyodide's packageBaseUrl), as a folder URL.
  let packageBaseURL;
  if (options.packageBaseUrl !== undefined) {
    packageBaseURL = await toURL(options.packageBaseUrl);
    if (!packageBaseURL.endsWith("/")) packageBaseURL += "/";
  }
  const py = new PyodideAPI(Module, {
    devices, defaults, argv: options.argv ?? [""], indexURL, lockFileURL,
    lockFileContents: options.lockFileContents, packageBaseURL,
    packageCacheDir: IS_NODE ? options.packageCacheDir : undefined,
    diagnostic: () => diagnostic || "see the runtime's error output",
    version: KILN_VERSION, jsglobals: options.jsglobals ?? globalThis, node,
    convertNullToNone: options.convertNullToNone,
  });
  py.stdlib = stdlib;
  if (options.packages?.length) await py.loadPackage(options.packages);
  return py;
}
