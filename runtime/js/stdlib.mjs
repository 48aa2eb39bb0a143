// The standard library in the runtime's file system. The bundle ships it as a core archive
// (python_stdlib.zip, fetched at boot) and parts fetched on first use (python_stdlib-<part>.zip,
// listed in the core's index member); see src/bundle/stdlib.rs. The core is unpacked into
// lib/python3.15, and every file of every part is put there too, as a placeholder of the
// right size whose first read fetches its whole part. Python's own path finder imports them,
// so nothing changes for Python (`-S` and `-I` included), and a part nobody imports is never
// downloaded. Python's import cannot wait for a promise, so a part is fetched synchronously:
// a file read in Node, a synchronous XMLHttpRequest in browsers; prefetch() fetches parts
// ahead without blocking.

import { FileTree } from "./files.mjs";
import { IS_NODE, readURL } from "./host.mjs";
import { STDLIB_DIR } from "./layout.mjs";
import { zipMembers } from "./zip.mjs";

// The core archive's member that lists the parts (src/bundle/stdlib.rs: INDEX_MEMBER).
export const STDLIB_INDEX = ".kiln-stdlib-parts.json";

// errno EIO: what Python sees (OSError) when a part cannot be fetched.
const STDLIB_EIO = 29;

/** Bytes at `url`, synchronously: Node reads file: URLs; browsers use a synchronous XHR. */
export function readURLSync(url, nodeFs) {
  if (IS_NODE) {
    if (!url.startsWith("file:")) throw new Error(`cannot fetch ${url} synchronously in Node`);
    return new Uint8Array(nodeFs.readFileSync(new URL(url)));
  }
  const request = new XMLHttpRequest();
  request.open("GET", url, false);
  // A window may not ask a synchronous request for an ArrayBuffer; a worker may. In a window,
  // bytes come through as "x-user-defined" text, one char per byte.
  const binaryText = typeof window === "object";
  if (binaryText) request.overrideMimeType("text/plain; charset=x-user-defined");
  else request.responseType = "arraybuffer";
  request.send();
  if (request.status !== 200 && request.status !== 0) {
    throw new Error(`HTTP ${request.status}`);
  }
  if (!binaryText) return new Uint8Array(request.response);
  const text = request.responseText;
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  return bytes;
}

/** The stdlib of one runtime: the core's files, the parts, and which are loaded. */
export class Stdlib {
  /**
   * Reads the core archive. `indexURL` is where the parts are; `nodeFs` Node's fs (Node only).
   * `onFetch(part, file, bytes, ms)` is told about every part fetched (for measurements).
   */
  static async open(coreBytes, { indexURL, nodeFs, onFetch, diagnostic = () => {} }) {
    const files = [];
    let index = { parts: {} };
    for (const member of zipMembers(coreBytes, "python_stdlib.zip")) {
      const bytes = await member.read();
      if (member.name === STDLIB_INDEX) index = JSON.parse(new TextDecoder().decode(bytes));
      else files.push([member.name, bytes]);
    }
    return new Stdlib(files, index, { indexURL, nodeFs, onFetch, diagnostic });
  }

  constructor(files, index, { indexURL, nodeFs, onFetch, diagnostic }) {
    this._files = files;
    this._parts = index.parts ?? {};
    this._indexURL = indexURL;
    this._nodeFs = nodeFs;
    this._onFetch = onFetch;
    this._diagnostic = diagnostic;
    this._FS = undefined;
    // Part name → its placeholder nodes, until the part is loaded.
    this._pending = new Map();
    /** Parts loaded so far: name → the URL they came from. */
    this.loadedParts = {};
  }

  /** The names of the lazy parts. */
  get parts() {
    return Object.keys(this._parts);
  }

  /** The part that provides top-level module `name`, if a part does. */
  partOf(name) {
    for (const [part, { files }] of Object.entries(this._parts)) {
      for (const [file] of files) {
        const top = file.split("/")[0].replace(/\.pyc?$/, "").replace(/\..*\.so$/, "");
        const dynload = file.startsWith("lib-dynload/") &&
          file.slice("lib-dynload/".length).split(".")[0] === name;
        if ((top === name && !file.startsWith("lib-dynload/")) || dynload) return part;
      }
    }
    return undefined;
  }

  /** Writes the core and the placeholders into the file system (before Python starts). */
  install(FS) {
    this._FS = FS;
    const tree = new FileTree(FS);
    for (const [name, bytes] of this._files) tree.file(`${STDLIB_DIR}/${name}`, bytes);
    this._files = [];
    for (const [part, { files }] of Object.entries(this._parts)) {
      const nodes = [];
      for (const [name, size] of files) {
        nodes.push(this._placeholder(tree, `${STDLIB_DIR}/${name}`, size, part));
      }
      this._pending.set(part, nodes);
    }
  }

  /** Fetches parts now, without blocking (all of them when `names` is omitted). */
  async prefetch(names = this.parts) {
    await Promise.all(names.filter((part) => this._pending.has(part)).map(async (part) => {
      const url = new URL(this._parts[part].file, this._indexURL).href;
      const started = performance.now();
      const bytes = await readURL(url);
      if (this._pending.has(part)) this._fill(part, url, bytes, started);
    }));
  }

  /** A file of `part` at `path` whose first read loads the part. */
  _placeholder(tree, path, size, part) {
    const node = tree.file(path, new Uint8Array(0));
    node.contents = null;
    node.usedBytes = size;
    // Streams keep the operations they were opened with, so the wrappers stay in place and
    // become pass-throughs once the part is in.
    const original = node.stream_ops;
    const ops = {};
    for (const key of Object.keys(original)) {
      ops[key] = (...args) => {
        this._load(part);
        return original[key](...args);
      };
    }
    node.stream_ops = ops;
    node.kilnPart = part;
    return node;
  }

  /** Loads `part` now (synchronously), unless it is in already. */
  _load(part) {
    if (!this._pending.has(part)) return;
    const url = new URL(this._parts[part].file, this._indexURL).href;
    const started = performance.now();
    let bytes;
    try {
      bytes = readURLSync(url, this._nodeFs);
    } catch (error) {
      this._diagnostic(`kiln: cannot fetch the stdlib part ${part} (${url}): ${error.message}`);
      throw new this._FS.ErrnoError(STDLIB_EIO);
    }
    this._fill(part, url, bytes, started);
  }

  /** Puts the members of `part`'s archive into its placeholders. */
  _fill(part, url, bytes, started) {
    const nodes = new Map(this._pending.get(part).map((node) => [node, true]));
    const byPath = new Map();
    for (const node of nodes.keys()) byPath.set(this._FS.getPath(node), node);
    for (const member of zipMembers(bytes, this._parts[part].file)) {
      const node = byPath.get(`${STDLIB_DIR}/${member.name}`);
      if (!node) continue;
      const data = member.storedBytes;
      if (!data) {
        this._diagnostic(`kiln: the stdlib part ${part} is not a stored zip archive`);
        throw new this._FS.ErrnoError(STDLIB_EIO);
      }
      node.contents = data;
      node.usedBytes = data.length;
    }
    this._pending.delete(part);
    this.loadedParts[part] = url;
    this._onFetch?.(part, url, bytes.length, performance.now() - started);
  }
}
