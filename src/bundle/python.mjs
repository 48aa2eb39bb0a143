// kiln's loader for its CPython 3.13 WebAssembly runtime.
//
// Library use (Node or a browser):
//   import { loadPython } from "./python.mjs";
//   const py = await loadPython();
//   py.runPython("1 + 1");                 // 2
//
// Command line (Node), like python3:
//   node python.mjs -c "print(1 + 1)"  |  node python.mjs script.py args…  |  node python.mjs -m mod
//
// Expects python.js, python.wasm and python_stdlib.zip in the same folder (or at `indexURL`).

const IS_NODE =
  typeof process === "object" && typeof process.versions?.node === "string" &&
  typeof window === "undefined";

// The runtime was configured with --prefix=/usr/local: its own sys.prefix, and where
// CPython's path computation looks for lib/python313.zip without any further setting.
const PREFIX = "/usr/local";
const STDLIB_ZIP = `${PREFIX}/lib/python313.zip`;
const EXECUTABLE = `${PREFIX}/bin/python3.13`;

// An unused device major number for the standard stream devices below.
const STREAM_DEVICE_MAJOR = 64;
// emscripten's errno value for EIO (WASI numbering).
const EIO = 29;

/** A Python exception that reached JavaScript; `message` is the formatted traceback. */
export class PythonError extends Error {
  constructor(traceback, type) {
    super(traceback);
    this.name = "PythonError";
    this.type = type;
  }
}

// Python side of the JS API, run once after start-up as module `_kiln`. Answers cross as text,
// "<kind>\n<value>", so that the JS side needs only a handful of C API calls. It imports as
// little as possible: `json` alone (with re, enum, collections…) cost 0.3 s of start-up.
const HELPER = String.raw`
import _ast, sys

_main = sys.modules["__main__"].__dict__
_loop = None
_CO_COROUTINE = 0x80

def _answer(kind, text):
    try:
        text.encode()
    except UnicodeEncodeError:  # lone surrogates cannot cross as UTF-8
        text = text.encode("utf-8", "backslashreplace").decode()
    return kind + "\n" + text

def _encode(value):
    kind = type(value)
    if value is None:
        return _answer("none", "")
    if kind is bool:
        return _answer("bool", "1" if value else "")
    if kind is int:
        return _answer("int", str(value))
    if kind is float:
        return _answer("float", repr(value))
    if kind is str:
        return _answer("str", value)
    return _answer("repr", repr(value))

def _error(exc):
    import traceback
    # Hide this helper's own frames: the traceback starts at the user's code.
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == "<kiln>":
        tb = tb.tb_next
    text = "".join(traceback.format_exception(type(exc), exc, tb))
    return _answer("error", type(exc).__name__ + "\n" + text)

def _compile(source, flags):
    # Like a notebook cell: the value of a final expression statement is the result,
    # unless the code ends with a semicolon.
    tree = compile(source, "<exec>", "exec", _ast.PyCF_ONLY_AST | flags)
    last = None
    if tree.body and isinstance(tree.body[-1], _ast.Expr) and not source.rstrip().endswith(";"):
        last = _ast.Expression(tree.body.pop().value)
    body = compile(tree, "<exec>", "exec", flags)
    tail = compile(last, "<exec>", "eval", flags) if last is not None else None
    return body, tail

def _eval(code):
    # With top-level await allowed, code that awaits compiles to a coroutine: run it to the
    # end on one event loop that lives across calls.
    global _loop
    value = eval(code, _main)
    if code.co_flags & _CO_COROUTINE:
        import asyncio
        if _loop is None or _loop.is_closed():
            _loop = asyncio.new_event_loop()
        value = _loop.run_until_complete(value)
    return value

def _run(source, flags=0):
    try:
        body, tail = _compile(source, flags)
        _eval(body)
        answer = _encode(_eval(tail) if tail is not None else None)
    except BaseException as exc:
        answer = _error(exc)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return answer

def _run_async(source):
    return _run(source, _ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)

def _get(name):
    return _encode(_main[name]) if name in _main else _answer("undefined", "")

def _set(request):
    import json
    name, value = json.loads(request)
    _main[name] = value
    return _answer("none", "")

def _set_argv(request):
    sys.argv[:] = request.split("\x1f")
    return _answer("none", "")
`;

/** Turns a "<kind>\n<value>" answer of the helper into a JS value, or throws PythonError. */
function decodeAnswer(answer) {
  const nl = answer.indexOf("\n");
  const kind = answer.slice(0, nl);
  const value = answer.slice(nl + 1);
  switch (kind) {
    case "none":
    case "undefined":
      return undefined;
    case "bool":
      return value === "1";
    case "str":
    case "repr":
      return value;
    case "int": {
      const n = BigInt(value);
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(n) : n;
    }
    case "float":
      return value === "inf" ? Infinity : value === "-inf" ? -Infinity : Number(value);
    case "error": {
      const eol = value.indexOf("\n");
      throw new PythonError(value.slice(eol + 1), value.slice(0, eol));
    }
  }
  throw new Error(`kiln: unknown answer kind ${kind}`);
}

/** Where the bundle's files are: a URL string ending in "/". */
async function resolveIndexURL(indexURL) {
  if (indexURL === undefined) return new URL(".", import.meta.url).href;
  let url = String(indexURL);
  if (IS_NODE && !/^[a-z][a-z0-9+.-]*:/i.test(url)) {
    const { pathToFileURL } = await import("node:url");
    url = pathToFileURL(url).href;
  }
  return url.endsWith("/") ? url : url + "/";
}

async function readBundleFile(indexURL, name) {
  const url = new URL(name, indexURL);
  if (IS_NODE && url.protocol === "file:") {
    const { readFile } = await import("node:fs/promises");
    return new Uint8Array(await readFile(url));
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`kiln: cannot load ${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * Output to a JS callback, one call per complete line (without the newline); what remains of
 * an unfinished line is passed on by flush(), after every runPython and at exit.
 */
class LineSink {
  constructor(callback) {
    this.callback = callback;
    this.decoder = new TextDecoder();
    this.pending = "";
  }
  write(bytes) {
    this.pending += this.decoder.decode(bytes, { stream: true });
    let nl;
    while ((nl = this.pending.indexOf("\n")) >= 0) {
      this.callback(this.pending.slice(0, nl));
      this.pending = this.pending.slice(nl + 1);
    }
  }
  flush() {
    this.pending += this.decoder.decode();
    if (this.pending) this.callback(this.pending);
    this.pending = "";
  }
}

/** Output straight to a host file descriptor (Node), byte for byte. */
class FdSink {
  constructor(fs, fd) {
    this.fs = fs;
    this.fd = fd;
  }
  write(bytes) {
    let done = 0;
    while (done < bytes.length) {
      try {
        done += this.fs.writeSync(this.fd, bytes, done, bytes.length - done);
      } catch (e) {
        if (e.code !== "EAGAIN") throw e; // a non-blocking pipe that is full: try again
      }
    }
  }
  flush() {}
}

/** Input from a host file descriptor (Node). */
function fdSource(fs, fd) {
  return (buffer) => {
    for (;;) {
      try {
        return fs.readSync(fd, buffer, 0, buffer.length, null);
      } catch (e) {
        if (e.code === "EOF") return 0;
        if (e.code !== "EAGAIN") throw e;
      }
    }
  };
}

/** Input from a JS callback returning a string, bytes, or null/undefined at end of input. */
function callbackSource(callback) {
  const encoder = new TextEncoder();
  let rest = new Uint8Array(0);
  let ended = false;
  return (buffer) => {
    while (rest.length === 0 && !ended) {
      const chunk = callback();
      if (chunk === null || chunk === undefined) ended = true;
      else rest = typeof chunk === "string" ? encoder.encode(chunk) : new Uint8Array(chunk);
    }
    const n = Math.min(rest.length, buffer.length);
    buffer.set(rest.subarray(0, n));
    rest = rest.subarray(n);
    return n;
  };
}

/**
 * Replaces emscripten's default standard streams (which go through console.log one line at a
 * time and report no errors) with devices that hand whole buffers to the sinks above. Python
 * sees ordinary character devices on fds 0-2, so sys.stdin/stdout/stderr all exist.
 */
function installStandardStreams(Module, { stdin, stdout, stderr, ttys }) {
  const FS = Module.FS;
  const devices = [
    { name: "stdin", flags: 0 /* O_RDONLY */, read: stdin },
    { name: "stdout", flags: 1 /* O_WRONLY */, sink: stdout },
    { name: "stderr", flags: 1, sink: stderr },
  ];
  for (const fd of [0, 1, 2]) FS.close(FS.getStream(fd));
  devices.forEach((d, fd) => {
    const dev = FS.makedev(STREAM_DEVICE_MAJOR, fd);
    FS.registerDevice(dev, {
      open(stream) {
        // A tty object makes isatty() true, so Python line-buffers and the REPL prompts.
        if (ttys[fd]) stream.tty = { ops: {} };
      },
      close() {},
      read(stream, buffer, offset, length) {
        if (!d.read) throw new FS.ErrnoError(EIO);
        return d.read(new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length));
      },
      write(stream, buffer, offset, length) {
        if (!d.sink) throw new FS.ErrnoError(EIO);
        d.sink.write(new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length));
        return length;
      },
    });
    const path = `/dev/kiln-${d.name}`;
    FS.mkdev(path, fd === 0 ? 0o444 : 0o222, dev);
    const stream = FS.open(path, d.flags);
    if (stream.fd !== fd) throw new Error(`kiln: ${d.name} opened as fd ${stream.fd}`);
  });
}

// Host top-level folders never mounted: system folders, and /usr, where the runtime's own
// files live (the host's Python there must not shadow the runtime's standard library).
const UNMOUNTED = new Set([
  "dev", "proc", "sys", "run", "boot", "usr", "bin", "sbin", "lib", "lib32", "lib64",
  "libx32", "etc", "lost+found",
]);

/**
 * Node: makes host folders visible at the same paths (NODEFS), so that paths on the command
 * line, the current directory and absolute paths in scripts mean what they mean to python3.
 */
async function mountHostFolders(Module, extraPaths) {
  const fs = await import("node:fs");
  const path = await import("node:path");
  const FS = Module.FS;
  const NODEFS = FS.filesystems.NODEFS;
  const mounted = [];
  const covered = (p) => mounted.some((m) => p === m || p.startsWith(m.endsWith("/") ? m : m + "/"));
  const mount = (hostPath) => {
    FS.mkdirTree(hostPath);
    FS.mount(NODEFS, { root: hostPath }, hostPath);
    mounted.push(hostPath);
  };
  for (const entry of fs.readdirSync("/", { withFileTypes: true })) {
    if (entry.isDirectory() && !UNMOUNTED.has(entry.name)) mount("/" + entry.name);
  }
  for (const p of extraPaths) {
    let real;
    try {
      real = fs.realpathSync(path.resolve(p));
      if (!fs.statSync(real).isDirectory()) real = path.dirname(real);
    } catch {
      continue; // does not exist: python reports it as it would natively
    }
    if (!covered(real) && !(real + "/").startsWith(`${PREFIX}/lib/`) && real !== "/") mount(real);
  }
  return mounted;
}

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
 */
export async function loadPython(options = {}) {
  const indexURL = await resolveIndexURL(options.indexURL);
  const nodeFs = IS_NODE ? await import("node:fs") : undefined;

  const sink = (callback, fd, consoleFn) =>
    callback ? new LineSink(callback)
      : IS_NODE ? new FdSink(nodeFs, fd)
        : new LineSink(consoleFn);
  const stdout = sink(options.stdout, 1, console.log);
  const stderr = sink(options.stderr, 2, console.error);
  const stdin = options.stdin ? callbackSource(options.stdin)
    : IS_NODE ? fdSource(nodeFs, 0) : () => 0;

  const [{ default: createPythonModule }, wasmBinary, stdlibZip] = await Promise.all([
    import(new URL("python.js", indexURL).href),
    IS_NODE ? readBundleFile(indexURL, "python.wasm") : undefined,
    readBundleFile(indexURL, "python_stdlib.zip"),
  ]);

  const env = {
    PYTHONHOME: PREFIX,
    // Our devices report no tty (outside the CLI on a terminal): without this, print()
    // output would sit in Python's block buffer until exit.
    PYTHONUNBUFFERED: "1",
    // The new 3.13 REPL needs terminal control that the runtime lacks.
    PYTHON_BASIC_REPL: "1",
    HOME: "/home/web_user",
    ...options.env,
  };

  const Module = await createPythonModule({
    wasmBinary,
    locateFile: (name) => new URL(name, indexURL).href,
    thisProgram: EXECUTABLE,
    // emscripten's own diagnostics (e.g. a failed dlopen), not Python's output.
    print: (line) => stdout.write(new TextEncoder().encode(line + "\n")),
    printErr: (line) => stderr.write(new TextEncoder().encode(line + "\n")),
    // C exit() (os._exit, a fatal error): surface it as a JS exception we can catch, instead
    // of ending the Node process from inside the runtime.
    quit: (status, toThrow) => { throw toThrow; },
    preRun: [
      (M) => {
        Object.assign(M.ENV, env);
        // lib-dynload is where CPython expects extension modules; an empty one spares the
        // "Could not find platform dependent libraries" warning. site-packages must exist
        // for site.py to put it on sys.path (packages get installed there).
        M.FS.mkdirTree(`${PREFIX}/lib/python3.13/lib-dynload`);
        M.FS.mkdirTree(`${PREFIX}/lib/python3.13/site-packages`);
        M.FS.writeFile(STDLIB_ZIP, stdlibZip);
      },
    ],
  });

  // Which of fds 0-2 are terminals (command line only): emscripten cannot ask the host.
  const ttys = options._ttys ?? [false, false, false];
  installStandardStreams(Module, { stdin, stdout, stderr, ttys });

  if (IS_NODE && options.mountHost) {
    const extra = Array.isArray(options.mountHost) ? options.mountHost : [];
    await mountHostFolders(Module, [process.cwd(), ...extra]);
    Module.FS.chdir(process.cwd());
  }

  return new Python(Module, { stdout, stderr, argv: options.argv ?? [""] });
}

/** The object loadPython() returns. */
class Python {
  constructor(Module, { stdout, stderr, argv }) {
    this._Module = Module;
    this._sinks = [stdout, stderr];
    this._started = false;
    this._argv = argv;
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
      `exec(compile(${JSON.stringify(HELPER)}, "<kiln>", "exec"), _m.__dict__)\n` +
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
}

/** The command line: arguments as for python3; returns the exit status. */
async function main(args) {
  // The script (first argument that is not an option) must be reachable from inside.
  const extra = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "-c" || a === "-m") break;
    if (a === "-W" || a === "-X" || a === "--check-hash-based-pycs") { i++; continue; }
    if (a === "-" || a.startsWith("-")) continue;
    extra.push(a);
    break;
  }
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
  const py = await loadPython({ mountHost: extra, env, _ttys: [0, 1, 2].map((fd) => isatty(fd)) });
  let status;
  try {
    status = py._Module.callMain(args);
  } catch (e) {
    if (e && e.name === "ExitStatus") status = e.status;
    else {
      process.stderr.write(`kiln: the runtime crashed: ${e && e.stack || e}\n`);
      status = 70;
    }
  }
  for (const s of py._sinks) s.flush();
  return status;
}

if (IS_NODE && process.argv[1]) {
  const { realpathSync } = await import("node:fs");
  const { fileURLToPath } = await import("node:url");
  let invoked;
  try { invoked = realpathSync(process.argv[1]); } catch { invoked = undefined; }
  if (invoked === realpathSync(fileURLToPath(import.meta.url))) {
    process.exit(await main(process.argv.slice(2)));
  }
}
