// kiln's loader for its CPython 3.13 WebAssembly runtime.
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

const IS_NODE =
  typeof process === "object" && typeof process.versions?.node === "string" &&
  typeof window === "undefined";

// The runtime was configured with --prefix=/usr/local: its own sys.prefix, and where
// CPython's path computation looks for lib/python313.zip without any further setting.
const PREFIX = "/usr/local";
const STDLIB_ZIP = `${PREFIX}/lib/python313.zip`;
const EXECUTABLE = `${PREFIX}/bin/python3.13`;
// Where wheels are unpacked: the site-packages folder site.py puts on sys.path.
const SITE_PACKAGES = `${PREFIX}/lib/python3.13/site-packages`;
// Where the files of `dynlib` lock entries (shared libraries) go; also LD_LIBRARY_PATH, so
// that ctypes.CDLL("libfoo.so") finds them by name.
const LIBRARY_DIR = `${PREFIX}/lib`;
// The package index of a bundle, in Pyodide's format, beside python.mjs.
const LOCKFILE = "pyodide-lock.json";

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

def _find_imports(source):
    # Top-level names of the modules a snippet imports, anywhere in it (absolute imports only:
    # a relative one names a module of the snippet's own package). Code that does not parse
    # imports nothing here; running it reports the error.
    try:
        tree = compile(source, "<imports>", "exec",
                       _ast.PyCF_ONLY_AST | _ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    except (SyntaxError, ValueError):
        return _answer("str", "")
    names = {}  # in order of appearance
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, _ast.Import):
            for alias in node.names:
                names[alias.name.partition(".")[0]] = None
        elif isinstance(node, _ast.ImportFrom) and not node.level and node.module:
            names[node.module.partition(".")[0]] = None
        children = []
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, list):
                children.extend(v for v in value if isinstance(v, _ast.AST))
            elif isinstance(value, _ast.AST):
                children.append(value)
        todo.extend(reversed(children))
    return _answer("str", "\n".join(names))

def _packages_installed(site):
    # Under python -S, site.py did not put site-packages on sys.path; loading a package asks
    # for it to be importable.
    if site not in sys.path:
        sys.path.append(site)
    # The import system caches folder listings: drop those of site-packages and the folders
    # below it. (Not importlib.invalidate_caches(): it also re-reads the stdlib zip's
    # directory, 0.5 s.)
    for path, finder in list(sys.path_importer_cache.items()):
        if finder is not None and (path == site or path.startswith(site + "/")):
            finder.invalidate_caches()
    metadata = sys.modules.get("importlib.metadata")
    if metadata is not None:
        metadata.MetadataPathFinder.invalidate_caches()
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

/** An absolute URL string for a URL (relative ones against the page) or, in Node, a path. */
async function toURL(location) {
  const text = String(location);
  if (IS_NODE && !/^[a-z][a-z0-9+.-]*:/i.test(text)) {
    const { pathToFileURL } = await import("node:url");
    return pathToFileURL(text).href;
  }
  return new URL(text, globalThis.location?.href).href;
}

/** Where the bundle's files are: a URL string ending in "/". */
async function resolveIndexURL(indexURL) {
  if (indexURL === undefined) return new URL(".", import.meta.url).href;
  const url = await toURL(indexURL);
  return url.endsWith("/") ? url : url + "/";
}

/** The bytes at a URL: from the file system for file: URLs in Node, else with fetch. */
async function readURL(url) {
  url = new URL(url);
  if (IS_NODE && url.protocol === "file:") {
    const { readFile } = await import("node:fs/promises");
    try {
      return new Uint8Array(await readFile(url));
    } catch (e) {
      throw Object.assign(new Error(`kiln: cannot read ${url.pathname}: ${e.message}`),
        { notFound: e.code === "ENOENT" });
    }
  }
  const response = await fetch(url);
  if (!response.ok) {
    throw Object.assign(new Error(`kiln: cannot load ${url}: HTTP ${response.status}`),
      { notFound: response.status === 404 });
  }
  return new Uint8Array(await response.arrayBuffer());
}

const readBundleFile = (indexURL, name) => readURL(new URL(name, indexURL));

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

// ---------------------------------------------------------------------------------------------
// Packages: pyodide-lock.json, wheels, shared libraries

/** A package name as the lockfile keys it (PEP 503: lower case, runs of -_. as one -). */
const normalizeName = (name) => String(name).trim().toLowerCase().replace(/[-_.]+/g, "-");

/** The lockfile, indexed: entries by normalised name, and which package provides an import. */
function indexLock(json, url) {
  if (!json || typeof json.packages !== "object") {
    throw new Error(`kiln: ${url} is not a package lockfile (no "packages")`);
  }
  const packages = new Map();
  const imports = new Map();
  for (const [key, entry] of Object.entries(json.packages)) {
    const name = normalizeName(key);
    packages.set(name, entry);
    for (const module of entry.imports ?? []) if (!imports.has(module)) imports.set(module, name);
  }
  return { url, info: json.info ?? {}, packages, imports };
}

/**
 * The packages to load for `names`, dependencies first (depth-first over `depends`). A cycle
 * is cut where it closes: such packages then load in an arbitrary order among themselves.
 * A requested name that is no package's may be a module one provides (yaml → pyyaml).
 */
function resolvePackages(lock, names) {
  const order = [];
  const seen = new Set();
  const visit = (name, dependent) => {
    let key = normalizeName(name);
    if (!dependent && !lock.packages.has(key) && lock.imports.has(name)) {
      key = lock.imports.get(name);
    }
    const entry = lock.packages.get(key);
    if (!entry) {
      throw new Error(dependent
        ? `kiln: package ${dependent} depends on ${name}, which ${lock.url} does not list`
        : `kiln: no package named ${name} in ${lock.url}`);
    }
    if (seen.has(key)) return;
    seen.add(key);
    for (const dep of entry.depends ?? []) visit(dep, key);
    order.push(key);
  };
  for (const name of names) visit(name);
  return order;
}

async function sha256Hex(bytes) {
  // WebCrypto: global in Node 20; in a browser only in a secure context (https, localhost).
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) {
    throw new Error("kiln: cannot check package integrity: WebCrypto is unavailable here " +
      "(a page served over plain http from another host than localhost?); serve over https " +
      "or pass checkIntegrity: false");
  }
  const digest = new Uint8Array(await subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

// Node: its zlib binding, imported on first use. Node's DecompressionStream is written in JS
// over web streams and was 4 times slower than zlib here on a 550-file wheel (100 ms against
// 25 ms); browsers' is native.
let nodeZlib;

/** Inflates one deflated ("raw", no header) zip member. */
async function inflateRaw(data) {
  if (IS_NODE) {
    nodeZlib ??= import("node:zlib");
    return new Uint8Array((await nodeZlib).inflateRawSync(data));
  }
  const stream = new DecompressionStream("deflate-raw");
  const writer = stream.writable.getWriter();
  writer.write(data).catch(() => {}); // a failure shows in the reader too
  writer.close().catch(() => {});
  const reader = stream.readable.getReader();
  const chunks = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.length;
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/**
 * The files of a zip archive (a wheel) as [{ name, read() → Promise<Uint8Array> }], folders
 * left out. Reads what wheels use: stored or deflated members, no encryption, no zip64 (which
 * only archives of over 65,535 files or 4 GB need). Integrity is the lockfile's sha256 of the
 * whole archive, so member CRCs are not checked again; sizes are.
 */
function zipMembers(bytes, label) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (why) => new Error(`kiln: ${label} is not a readable zip archive: ${why}`);
  // The end-of-central-directory record: the last 22 bytes, unless an archive comment
  // (at most 65,535 bytes) follows it.
  let end = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 0xffff); at--) {
    if (view.getUint32(at, true) === 0x06054b50) {
      end = at;
      break;
    }
  }
  if (end < 0) throw bad("no end-of-central-directory record");
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  if (count === 0xffff || at === 0xffffffff) throw bad("zip64 archives are not supported");
  const utf8 = new TextDecoder();
  const members = [];
  for (let n = 0; n < count; n++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== 0x02014b50) {
      throw bad("broken central directory");
    }
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const packedSize = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const local = view.getUint32(at + 42, true);
    const name = utf8.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    at += 46 + nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
    if (name.endsWith("/")) continue;
    if (flags & 1) throw bad(`${name} is encrypted`);
    if (method !== 0 && method !== 8) throw bad(`${name} uses compression method ${method}`);
    if (local + 30 > bytes.length || view.getUint32(local, true) !== 0x04034b50) {
      throw bad(`no local header for ${name}`);
    }
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    if (start + packedSize > bytes.length) throw bad(`${name} is truncated`);
    const packed = bytes.subarray(start, start + packedSize);
    members.push({
      name,
      async read() {
        const data = method === 0 ? packed : await inflateRaw(packed);
        if (data.length !== size) throw bad(`${name} unpacks to the wrong size`);
        return data;
      },
    });
  }
  return members;
}

/**
 * Where a wheel's file goes in the runtime's file system. Wheel root and `*.data/purelib|platlib`
 * → site-packages, `*.data/scripts` → bin, `*.data/data` → the prefix, `*.data/headers` →
 * include; the files of a `dynlib` entry (shared libraries) → the library folder, its
 * `.dist-info` still to site-packages (so importlib.metadata sees it).
 */
function installPath(name, installDir, label) {
  const parts = name.split("/");
  if (name.startsWith("/") || parts.includes("..") || name.includes("\\")) {
    throw new Error(`kiln: ${label} contains an unsafe path: ${name}`);
  }
  const data = /^[^/]+\.data\/([^/]+)\/(.+)$/.exec(name);
  if (data) {
    const [, scheme, rest] = data;
    switch (scheme) {
      case "purelib":
      case "platlib": return `${SITE_PACKAGES}/${rest}`;
      case "scripts": return `${PREFIX}/bin/${rest}`;
      case "data": return `${PREFIX}/${rest}`;
      case "headers": return `${PREFIX}/include/python3.13/${rest}`;
    }
    return null;
  }
  if (installDir === "dynlib" && !/^[^/]+\.dist-info\//.test(name)) return `${LIBRARY_DIR}/${name}`;
  return `${SITE_PACKAGES}/${name}`;
}

// "\0asm": a shared object that is not WebAssembly is left to fail at its import.
const isWasm = (b) =>
  b.length >= 8 && b[0] === 0 && b[1] === 0x61 && b[2] === 0x73 && b[3] === 0x6d;
const baseName = (path) => path.slice(path.lastIndexOf("/") + 1);
// A Python extension module's file name (PEP 3149 tag or the stable ABI's).
const EXTENSION_MODULE = /\.(cpython-[^.]+|abi3)\.so$/;

/**
 * The libraries a side module links against by name: the WASM_DYLINK_NEEDED list of its
 * `dylink.0` section, which emscripten requires to be the module's first section.
 */
function neededLibraries(bytes) {
  let at = 8;
  const leb = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[at++];
      value += (byte & 0x7f) * 2 ** shift;
      if (!(byte & 0x80) || at >= bytes.length) return value;
    }
  };
  const text = () => {
    const length = leb();
    at += length;
    return new TextDecoder().decode(bytes.subarray(at - length, at));
  };
  if (bytes[at++] !== 0) return [];
  const size = leb();
  const end = Math.min(at + size, bytes.length);
  if (text() !== "dylink.0") return [];
  const needed = [];
  while (at < end) {
    const type = bytes[at++];
    const next = leb() + at;
    if (type === 2 /* WASM_DYLINK_NEEDED */) for (let n = leb(); n > 0; n--) needed.push(text());
    at = next;
  }
  return needed;
}

/**
 * Loads the shared libraries a package brought, before Python imports anything from it.
 * Every side module is compiled and instantiated asynchronously (browsers refuse synchronous
 * compiles of large modules on the main thread) by emscripten's preload plugin for `.so`
 * files, which registers the instance under its path; Python's later dlopen of that path
 * (the import of an extension module) then finds it ready instead of compiling it.
 *
 * Libraries that other modules link against by name (`libfoo.so` in their dylink section) are
 * also put into emscripten's dynamic linker now, under their path and their file name:
 * globally (RTLD_GLOBAL, symbols visible to every later module) for `dynlib` lock entries,
 * locally for a library that ships inside a package. Which is why the runtime must export
 * `loadDynamicLibrary` and `LDSO`.
 */
async function loadSharedLibraries(Module, files, { global, label, diagnostic }) {
  const modules = files.filter(({ data }) => isWasm(data));
  if (modules.length === 0) return;
  const needed = new Map(modules.map((m) => [m.path, neededLibraries(m.data)]));
  const neededNames = new Set([...needed.values()].flat());
  const isLibrary = (path) => global || neededNames.has(baseName(path)) ||
    (baseName(path).startsWith("lib") && !EXTENSION_MODULE.test(path));
  const libraries = modules.filter((m) => isLibrary(m.path));
  const extensions = modules.filter((m) => !isLibrary(m.path));

  const preload = ({ path, data }) => new Promise((resolve, reject) => {
    Module.FS_createPreloadedFile(path.slice(0, path.lastIndexOf("/")), baseName(path), data,
      true, true, resolve,
      () => reject(new Error(`kiln: cannot load ${path} from ${label}: ${diagnostic()}`)),
      true /* already written, do not create the file again */);
  });

  if (libraries.length) {
    const { loadDynamicLibrary, LDSO } = Module;
    if (!loadDynamicLibrary || !LDSO) {
      throw new Error(`kiln: ${label} has shared libraries, and this runtime cannot link them: ` +
        "its python.js does not export loadDynamicLibrary and LDSO (EXPORTED_RUNTIME_METHODS)");
    }
    // Dependencies among the package's own libraries first.
    const byName = new Map(libraries.map((m) => [baseName(m.path), m]));
    const ordered = [];
    const visiting = new Set();
    const visit = (m) => {
      if (visiting.has(m)) return; // done, or a cycle
      visiting.add(m);
      for (const name of needed.get(m.path)) if (byName.has(name)) visit(byName.get(name));
      ordered.push(m);
    };
    libraries.forEach(visit);
    for (const library of ordered) {
      await preload(library);
      await loadDynamicLibrary(library.path, { loadAsync: true, global, nodelete: true },
        global ? undefined : {});
      // Dependent modules name it by file name only (the dylink section's NEEDED entry).
      LDSO.loadedLibsByName[baseName(library.path)] ??= LDSO.loadedLibsByName[library.path];
    }
  }
  // The plugin instantiates one module at a time, in the order asked.
  await Promise.all(extensions.map(preload));
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
 *   packages  names of packages to load from the lockfile before returning (loadPackage).
 *   lockFileURL  where the lockfile is (URL, or a path in Node); default:
 *             pyodide-lock.json in indexURL. Wheels are found relative to indexURL.
 */
export async function loadPython(options = {}) {
  const indexURL = await resolveIndexURL(options.indexURL);
  const lockFileURL = options.lockFileURL === undefined
    ? new URL(LOCKFILE, indexURL).href
    : await toURL(options.lockFileURL);
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
    LD_LIBRARY_PATH: LIBRARY_DIR,
    ...options.env,
  };

  // The last diagnostic emscripten printed: why a shared library did not load, for instance.
  let diagnostic = "";
  const Module = await createPythonModule({
    wasmBinary,
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

  const py = new Python(Module, {
    stdout, stderr, argv: options.argv ?? [""], indexURL, lockFileURL,
    diagnostic: () => diagnostic || "see the runtime's error output",
  });
  if (options.packages?.length) await py.loadPackage(options.packages);
  return py;
}

/** The object loadPython() returns. */
class Python {
  constructor(Module, { stdout, stderr, argv, indexURL, lockFileURL, diagnostic }) {
    this._Module = Module;
    this._sinks = [stdout, stderr];
    this._started = false;
    this._argv = argv;
    this._indexURL = indexURL;
    this._lockFileURL = lockFileURL;
    this._diagnostic = diagnostic;
    this._lockPromise = undefined;
    // Package name → promise of its installation (kept once it succeeded).
    this._packages = new Map();
    /** Packages loaded so far: name → the URL of the file they came from. */
    this.loadedPackages = {};
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

  /**
   * The lockfile, read once. With `optional`, a missing lockfile gives null (a bundle
   * without packages) instead of an error.
   */
  async _lock({ optional = false } = {}) {
    const url = this._lockFileURL;
    this._lockPromise ??= (async () => {
      let bytes;
      try {
        bytes = await readURL(url);
      } catch (error) {
        if (!error.notFound) throw error;
        throw Object.assign(new Error(`kiln: no package lockfile at ${url}`), { notFound: true });
      }
      let json;
      try {
        json = JSON.parse(new TextDecoder().decode(bytes));
      } catch (error) {
        throw new Error(`kiln: ${url} is not valid JSON: ${error.message}`);
      }
      return indexLock(json, url);
    })();
    try {
      return await this._lockPromise;
    } catch (error) {
      // A missing lockfile stays missing (no request per snippet run); other failures, such
      // as a network error, are tried again next time.
      if (!error.notFound) this._lockPromise = undefined;
      if (optional && error.notFound) return null;
      throw error;
    }
  }

  /**
   * Loads packages listed in the lockfile, with everything they depend on, skipping those
   * loaded already: each file is fetched, checked against the lockfile's sha256 and unpacked
   * (wheels into site-packages, shared-library entries into /usr/local/lib), and its shared
   * libraries are compiled and linked before anything imports them.
   *   names            a package name or an array of them (any spelling: "PyYAML", "pyyaml";
   *                    or a module a package provides: "yaml")
   *   messageCallback  (text) => void: "Loading a, b" / "Loaded a, b"
   *   errorCallback    (text) => void: the reason of a failure (which is also thrown)
   *   checkIntegrity   compare each file's sha256 with the lockfile's (default true)
   * Resolves to the names of the packages loaded by this call.
   */
  async loadPackage(names, { messageCallback, errorCallback, checkIntegrity = true } = {}) {
    const requested = typeof names === "string" ? [names] : [...names];
    let fresh = [];
    try {
      const lock = await this._lock();
      const order = resolvePackages(lock, requested);
      // Packages loaded or being loaded (by an earlier call still under way) are awaited, not
      // loaded again.
      fresh = order.filter((name) => !this._packages.has(name));
      if (fresh.length) messageCallback?.(`Loading ${fresh.join(", ")}`);
      // Downloads and their integrity checks all start now; installations run in dependency
      // order, since a package's shared libraries may link against its dependencies'.
      for (const name of fresh) {
        const entry = lock.packages.get(name);
        const download = this._download(name, entry, checkIntegrity);
        download.catch(() => {}); // reported by the installation that awaits it
        const dependencies = (entry.depends ?? [])
          .map((dep) => this._packages.get(normalizeName(dep)))
          .filter(Boolean); // absent only where a dependency cycle was cut
        const installed = (async () => {
          await Promise.all(dependencies);
          await this._install(name, entry, await download);
          this.loadedPackages[name] = new URL(entry.file_name, this._indexURL).href;
        })();
        // A failed package may be asked for again later.
        installed.catch(() => this._packages.delete(name));
        this._packages.set(name, installed);
      }
      await Promise.all(order.map((name) => this._packages.get(name)));
      if (this._started) this._call("_packages_installed", SITE_PACKAGES);
    } catch (error) {
      errorCallback?.(error.message);
      throw error;
    }
    if (fresh.length) messageCallback?.(`Loaded ${fresh.join(", ")}`);
    return fresh;
  }

  /** A package's file, checked against the lockfile. */
  async _download(name, entry, checkIntegrity) {
    if (!entry.file_name) throw new Error(`kiln: package ${name} has no file_name in the lockfile`);
    let bytes;
    try {
      bytes = await readURL(new URL(entry.file_name, this._indexURL));
    } catch (error) {
      const reason = error.message.replace(/^kiln: /, "");
      throw new Error(`kiln: cannot fetch package ${name}: ${reason}`);
    }
    if (checkIntegrity) {
      const expected = String(entry.sha256 ?? "").toLowerCase();
      if (!expected) throw new Error(`kiln: package ${name} has no sha256 in the lockfile`);
      const actual = await sha256Hex(bytes);
      if (actual !== expected) {
        throw new Error(`kiln: integrity check failed for package ${name} (${entry.file_name}): ` +
          `the lockfile says sha256 ${expected}, the file has sha256 ${actual}`);
      }
    }
    return bytes;
  }

  /** Unpacks a package's archive into the file system and loads its shared libraries. */
  async _install(name, entry, bytes) {
    const FS = this.FS;
    const label = `package ${name} (${entry.file_name})`;
    const members = zipMembers(bytes, label);
    const files = await Promise.all(members.map(async (member) => ({
      path: installPath(member.name, entry.install_dir, label),
      data: await member.read(),
    })));
    const folders = new Set();
    let distInfo;
    for (const { path, data } of files) {
      if (path === null) continue;
      const folder = path.slice(0, path.lastIndexOf("/"));
      if (!folders.has(folder)) {
        FS.mkdirTree(folder);
        folders.add(folder);
      }
      FS.writeFile(path, data);
      if (/\.dist-info\/METADATA$/.test(path)) distInfo = folder;
    }
    // Which installer put it there (PEP 376), as pip does.
    if (distInfo) FS.writeFile(`${distInfo}/INSTALLER`, "kiln\n");
    // The preload plugin takes names ending in .so; a versioned name (libfoo.so.1, rare in
    // wheels) is left to dlopen, which compiles it synchronously.
    await loadSharedLibraries(this._Module, files.filter((f) => f.path?.endsWith(".so")), {
      global: entry.install_dir === "dynlib" || entry.shared_library === true,
      label,
      diagnostic: this._diagnostic,
    });
  }

  /**
   * The lockfile's packages that provide modules `code` imports (per their `imports`). A
   * snippet that does not mention any of those names is not parsed at all (no interpreter
   * start); one that does is parsed by Python's own compiler, so strings and comments do not
   * count. Empty when there is no lockfile.
   */
  async _packagesForImports(code) {
    const lock = await this._lock({ optional: true });
    if (!lock || lock.imports.size === 0) return [];
    code = String(code);
    const words = code.match(/[\p{ID_Start}_][\p{ID_Continue}]*/gu) ?? [];
    if (!words.some((word) => lock.imports.has(word))) return [];
    const imported = decodeAnswer(this._call("_find_imports", code));
    const packages = new Set();
    for (const module of imported ? imported.split("\n") : []) {
      if (lock.imports.has(module)) packages.add(lock.imports.get(module));
    }
    return [...packages];
  }

  /**
   * Loads the packages whose modules `code` imports (`import a.b`, `from c import d`, also
   * inside functions), as far as the lockfile provides them; other imports are left to
   * Python. Options as for loadPackage. Resolves to the names of the packages loaded.
   */
  async loadPackagesFromImports(code, options = {}) {
    let packages;
    try {
      packages = await this._packagesForImports(code);
    } catch (error) {
      options.errorCallback?.(error.message);
      throw error;
    }
    return packages.length ? this.loadPackage(packages, options) : [];
  }
}

/**
 * What python3's arguments ask to run: { kind: "c" | "m", value } for -c CODE and -m MODULE,
 * { kind: "script", value: path }, or { kind: "stdin" } (also the REPL). Follows CPython's
 * option syntax: short options combine (-Sc CODE, -cCODE); -W and -X take an argument.
 */
function pythonCommand(args) {
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
  const lock = await py._lock({ optional: requested.length === 0 });
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
  if (code !== undefined) wanted.push(...await py._packagesForImports(code));
  if (wanted.length) await py.loadPackage(wanted);
}

/** The command line: arguments as for python3; returns the exit status. */
async function main(args) {
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
  const py = await loadPython({ mountHost: extra, env, _ttys: [0, 1, 2].map((fd) => isatty(fd)) });
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

if (IS_NODE && process.argv[1]) {
  const { realpathSync } = await import("node:fs");
  const { fileURLToPath } = await import("node:url");
  let invoked;
  try { invoked = realpathSync(process.argv[1]); } catch { invoked = undefined; }
  if (invoked === realpathSync(fileURLToPath(import.meta.url))) {
    process.exit(await main(process.argv.slice(2)));
  }
}
