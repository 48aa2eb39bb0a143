// The command line (Node): `node python.mjs …` behaves like python3, plus kiln's own
// --packages option; the packages the code to run imports load by themselves.

import { boot } from "./boot.mjs";

/**
 * What python3's arguments ask to run: { kind: "c" | "m", value } for -c CODE and -m MODULE,
 * { kind: "script", value: path }, or { kind: "stdin" } (also the REPL). Follows CPython's
 * option syntax: short options combine (-Sc CODE, -cCODE); -W and -X take an argument.
 */
export function pythonCommand(args) {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") {
      return args[i + 1] === undefined ? { kind: "stdin" } : { kind: "script", value: args[i + 1] };
    }
    if (a === "--check-hash-based-pycs") { i++; continue; }
    if (a.startsWith("--")) continue;
    if (a === "-") return { kind: "stdin" };
    if (!a.startsWith("-")) return { kind: "script", value: a };
    for (let j = 1; j < a.length; j++) {
      if ("cmWX".includes(a[j])) {
        const value = j + 1 < a.length ? a.slice(j + 1) : args[++i];
        if (a[j] === "c" || a[j] === "m") return { kind: a[j], value };
        break;
      }
    }
  }
  return { kind: "stdin" };
}

/**
 * The command line's packages: those named by --packages, and those that the code to run
 * imports (-c CODE, a script file, or the module of -m) when the lockfile provides them.
 * Without a lockfile, only --packages is an error.
 */
async function loadCommandPackages(py, command, requested) {
  const lock = await py._packageLoader.lock({ optional: requested.length === 0 });
  if (!lock) return;
  const wanted = [...requested];
  let code;
  if (command.kind === "c") code = command.value;
  if (command.kind === "script") {
    const { readFileSync } = await import("node:fs");
    try {
      const bytes = readFileSync(command.value);
      // A zip application's imports are its own business.
      if (!(bytes[0] === 0x50 && bytes[1] === 0x4b)) code = new TextDecoder().decode(bytes);
    } catch {
      // not a readable file: python reports it
    }
  }
  if (command.kind === "m" && command.value) {
    const provider = lock.imports.get(command.value.split(".")[0]);
    if (provider) wanted.push(provider);
  }
  if (code !== undefined) wanted.push(...await py._packageLoader.packagesForImports(code));
  if (wanted.length) await py.loadPackage(wanted);
}

/**
 * The command line: arguments as for python3; returns the exit status. `moduleURL` is the
 * loader's own URL (its folder holds the bundle).
 */
export async function main(args, moduleURL) {
  // kiln's own option, before python's: --packages a,b (or --packages=a,b; repeatable).
  const packages = [];
  while (args[0] === "--packages" || args[0]?.startsWith("--packages=")) {
    const list = args[0] === "--packages" ? args[1] : args[0].slice("--packages=".length);
    if (list === undefined) {
      process.stderr.write("kiln: --packages needs a comma-separated list of package names\n");
      return 2;
    }
    packages.push(...list.split(",").map((name) => name.trim()).filter(Boolean));
    args = args.slice(args[0] === "--packages" ? 2 : 1);
  }
  const command = pythonCommand(args);
  // The script and PYTHONPATH's folders must be reachable from inside.
  const extra = command.kind === "script" ? [command.value] : [];
  for (const p of (process.env.PYTHONPATH ?? "").split(":")) if (p) extra.push(p);
  // Pass python3's own environment settings through (PYTHONPATH, PYTHONWARNINGS, …).
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith("PYTHON") && k !== "PYTHONHOME") env[k] = v;
  }
  for (const k of ["TERM", "COLUMNS", "LINES", "TZ", "LANG", "LC_ALL"]) {
    if (process.env[k] !== undefined) env[k] = process.env[k];
  }
  const { isatty } = await import("node:tty");
  const py = await boot({ mountHost: extra, env, _ttys: [0, 1, 2].map((fd) => isatty(fd)) },
    moduleURL);
  let status;
  try {
    await loadCommandPackages(py, command, packages);
    // Finding a snippet's imports may have started the interpreter: stop it, so that CPython's
    // main() starts afresh with this command line's configuration (-E, -S, -I, -X … act
    // during start-up). Packages stay: files and loaded libraries live outside Python.
    if (py._started) {
      py._Module._Py_FinalizeEx();
      py._started = false;
    }
    // `import js` and pyodide.ffi work in scripts too (synchronously: the JS event loop does
    // not run while main() does, so awaiting a JS promise cannot complete).
    py._prepareBridge();
    status = py._Module.callMain(args);
  } catch (e) {
    if (e && e.name === "ExitStatus") status = e.status;
    else if (e && e.message?.startsWith("kiln: ")) {
      process.stderr.write(`${e.message}\n`);
      status = 1;
    } else {
      process.stderr.write(`kiln: the runtime crashed: ${e && e.stack || e}\n`);
      status = 70;
    }
  }
  for (const s of py._sinks) s.flush();
  return status;
}
