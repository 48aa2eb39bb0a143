// Packages: loading what pyodide-lock.json lists into the runtime. Each file is fetched,
// checked against the lockfile's sha256, unpacked (wheels into site-packages, shared-library
// entries into the library folder) and its shared libraries are loaded (dylib.mjs). The
// loader's object delegates to one PackageLoader per runtime.

import { FileTree } from "./files.mjs";
import { IS_NODE, readURL } from "./host.mjs";
import { LIBRARY_DIR, PREFIX, PYTHON_VERSION, SITE_PACKAGES, VARIANT } from "./layout.mjs";
import { indexLock, normalizeName, resolvePackages } from "./lockfile.mjs";
import { compileSideModule, loadSharedLibraries, refuseMissingSymbols } from "./dylib.mjs";
import { zipMembers } from "./zip.mjs";
import { incompatibility, parseWheelName } from "./tags.mjs";

export async function sha256Hex(bytes) {
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

/**
 * Where a wheel's file goes in the runtime's file system. Wheel root and `*.data/purelib|platlib`
 * → site-packages (or `site`, the folder an installer such as micropip names), `*.data/scripts` → bin, `*.data/data` → the prefix, `*.data/headers` →
 * include; the files of a `dynlib` entry (shared libraries) → the library folder, its
 * `.dist-info` still to site-packages (so importlib.metadata sees it).
 */
export function installPath(name, installDir, label, site = SITE_PACKAGES) {
  const parts = name.split("/");
  if (name.startsWith("/") || parts.includes("..") || name.includes("\\")) {
    throw new Error(`kiln: ${label} contains an unsafe path: ${name}`);
  }
  const data = /^[^/]+\.data\/([^/]+)\/(.+)$/.exec(name);
  if (data) {
    const [, scheme, rest] = data;
    switch (scheme) {
      case "purelib":
      case "platlib": return `${site}/${rest}`;
      case "scripts": return `${PREFIX}/bin/${rest}`;
      case "data": return `${PREFIX}/${rest}`;
      case "headers": return `${PREFIX}/include/python${PYTHON_VERSION}/${rest}`;
    }
    return null;
  }
  if (installDir === "dynlib" && !/^[^/]+\.dist-info\//.test(name)) return `${LIBRARY_DIR}/${name}`;
  return `${site}/${name}`;
}

/**
 * The packages of one runtime: the lockfile (read once) and what has been loaded.
 *   findImports       (code) => the top-level modules `code` imports, "\n"-separated (Python's parser)
 *   onInstalled       () => void: called after every loadPackage, to make new files importable
 *   lockFileContents  the lockfile itself (its JSON text or object, or a promise of one),
 *                     instead of reading lockFileURL
 *   packageBaseURL    what relative `file_name`s are relative to (default: indexURL)
 *   packageCacheDir   Node: a host folder where downloaded package files are kept, so each is
 *                     downloaded once (file: URLs are read where they are)
 */
export class PackageLoader {
  constructor(Module, {
    indexURL, lockFileURL, diagnostic, findImports, onInstalled, lockFileContents, packageBaseURL,
    packageCacheDir,
  }) {
    this._Module = Module;
    this.FS = Module.FS;
    this._indexURL = indexURL;
    this._baseURL = packageBaseURL ?? indexURL;
    this._lockFileURL = lockFileURL;
    this._lockFileContents = lockFileContents;
    this._cacheDir = packageCacheDir;
    this._diagnostic = diagnostic;
    this._findImports = findImports;
    this._onInstalled = onInstalled;
    this._lockPromise = undefined;
    // The lockfile once read (for the synchronous views micropip reads: lockedPackages()).
    this._lock = undefined;
    // Package name → promise of its installation (kept once it succeeded).
    this._packages = new Map();
    // Packages whose installation finished: one of them that is no longer in loadedPackages
    // was uninstalled (micropip.uninstall deletes its files and its loadedPackages key) and
    // loads again when asked for.
    this._installed = new Set();
    /** Packages loaded so far: name → the URL of the file they came from. */
    this.loadedPackages = {};
  }

  /**
   * The lockfile, read once. With `optional`, a missing lockfile gives null (a bundle
   * without packages) instead of an error.
   */
  async lock({ optional = false } = {}) {
    const url = this._lockFileContents !== undefined ? "lockFileContents" : this._lockFileURL;
    this._lockPromise ??= (async () => {
      if (this._lockFileContents !== undefined) {
        const contents = await this._lockFileContents;
        let json = contents;
        if (typeof contents === "string") {
          try {
            json = JSON.parse(contents);
          } catch (error) {
            throw new Error(`kiln: lockFileContents is not valid JSON: ${error.message}`);
          }
        }
        return indexLock(json, url);
      }
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
      return (this._lock = await this._lockPromise);
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
   *                    or a module a package provides: "yaml"), or the URL of a wheel
   *                    (`https://…/x.whl`, `file:///…/x.whl`, or relative to the index), which
   *                    is loaded as it is, without dependencies, if its tags fit this runtime
   *   messageCallback  (text) => void: "Loading a, b" / "Loaded a, b"
   *   errorCallback    (text) => void: the reason of a failure (which is also thrown)
   *   checkIntegrity   compare each file's sha256 with the lockfile's (default true)
   * Resolves to the names of the packages loaded by this call.
   */
  async loadPackage(names, { messageCallback, errorCallback, checkIntegrity = true } = {}) {
    const all = typeof names === "string" ? [names] : [...names];
    const isWheel = (name) => /\.whl$/i.test(name);
    const requested = all.filter((name) => !isWheel(name));
    let fresh = [];
    try {
      for (const url of all.filter(isWheel)) {
        const name = await this._loadWheelURL(url);
        if (name) fresh.push(name);
      }
      if (!requested.length) {
        this._onInstalled();
        if (fresh.length) messageCallback?.(`Loaded ${fresh.join(", ")}`);
        return fresh;
      }
      const lock = await this.lock();
      const order = resolvePackages(lock, requested);
      // Packages loaded or being loaded (by an earlier call still under way) are awaited, not
      // loaded again; uninstalled ones load again.
      for (const name of order) {
        if (this._installed.has(name) && !(name in this.loadedPackages)) {
          this._installed.delete(name);
          this._packages.delete(name);
        }
      }
      fresh = fresh.concat(order.filter((name) => !this._packages.has(name)));
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
          await this._install(name, entry, await download, { source: "pyodide" });
          this.loadedPackages[name] = new URL(entry.file_name, this._baseURL).href;
          this._installed.add(name);
        })();
        // A failed package may be asked for again later.
        installed.catch(() => this._packages.delete(name));
        this._packages.set(name, installed);
      }
      await Promise.all(order.map((name) => this._packages.get(name)));
      this._onInstalled();
    } catch (error) {
      errorCallback?.(error.message);
      throw error;
    }
    if (fresh.length) messageCallback?.(`Loaded ${fresh.join(", ")}`);
    return fresh;
  }

  /**
   * A wheel named by its URL: refused unless its tags fit this runtime (the reason names the
   * wheel, its tags and the runtime's), then fetched and installed as it is. Resolves to the
   * package's name, or null if a wheel of that package was loaded already.
   */
  async _loadWheelURL(url) {
    const reason = incompatibility(url);
    if (reason) throw new Error(`kiln: cannot load ${reason}`);
    const name = normalizeName(parseWheelName(url).name);
    if (this._packages.has(name)) return null;
    const href = new URL(url, this._baseURL).href;
    const installed = (async () => {
      let bytes;
      try {
        bytes = (await this._fetch(href)).bytes;
      } catch (error) {
        throw new Error(`kiln: cannot fetch ${href}: ${error.message.replace(/^kiln: /, "")}`);
      }
      await this._install(name, { file_name: href, install_dir: "site" }, bytes, { source: href });
      this.loadedPackages[name] = href;
      this._installed.add(name);
    })();
    installed.catch(() => this._packages.delete(name));
    this._packages.set(name, installed);
    await installed;
    return name;
  }

  /**
   * Installs a wheel someone else downloaded (micropip: Pyodide's `_api.install`), into the
   * folder `site`, with `metadata` ({ file name: text }) written into its `.dist-info`. A
   * wheel whose tags do not fit this runtime is refused naming the wheel, its tag and the
   * runtime's platform. Its shared libraries load before it resolves.
   */
  async installWheel(bytes, fileName, site = SITE_PACKAGES, metadata = {}) {
    const reason = incompatibility(fileName);
    if (reason) throw new Error(`kiln: cannot install ${reason}`);
    if (!String(site).startsWith("/")) throw new Error(`kiln: install folder ${site} is not an absolute path`);
    const name = normalizeName(parseWheelName(fileName).name);
    const installed = this._install(name, { file_name: fileName, install_dir: "site" }, bytes, {
      site: String(site).replace(/\/+$/, ""),
      metadata: { INSTALLER: "kiln\n", ...metadata },
    });
    await installed;
    this._packages.set(name, installed);
    this._installed.add(name);
    this._onInstalled();
  }

  /**
   * The lockfile as read so far, for synchronous readers (micropip reads Pyodide's
   * `_api.lockfile_packages` and `lockfile_info` when it is imported): `{ info, packages }`
   * with the packages keyed by normalised name; empty before the lockfile is read or when
   * there is none.
   */
  lockedPackages() {
    const lock = this._lock;
    if (!lock) return { info: {}, packages: {} };
    return { info: lock.info, packages: Object.fromEntries(lock.packages) };
  }

  /** A package's file, checked against the lockfile. */
  async _download(name, entry, checkIntegrity) {
    if (!entry.file_name) throw new Error(`kiln: package ${name} has no file_name in the lockfile`);
    const url = new URL(entry.file_name, this._baseURL);
    const fetchFile = async (options) => {
      try {
        return await this._fetch(url, options);
      } catch (error) {
        const reason = error.message.replace(/^kiln: /, "");
        throw new Error(`kiln: cannot fetch package ${name}: ${reason}`);
      }
    };
    let { bytes, cached } = await fetchFile();
    if (checkIntegrity) {
      const expected = String(entry.sha256 ?? "").toLowerCase();
      if (!expected) throw new Error(`kiln: package ${name} has no sha256 in the lockfile`);
      let actual = await sha256Hex(bytes);
      if (actual !== expected && cached) {
        // A cached copy of another build of the file: download it again.
        ({ bytes } = await fetchFile({ refresh: true }));
        actual = await sha256Hex(bytes);
      }
      if (actual !== expected) {
        throw new Error(`kiln: integrity check failed for package ${name} (${entry.file_name}): ` +
          `the lockfile says sha256 ${expected}, the file has sha256 ${actual}`);
      }
    }
    return bytes;
  }

  /**
   * The bytes at `url`, through packageCacheDir when there is one (Node, not for file: URLs):
   * a file kept there is read instead of downloaded (`cached`), and a download is kept there
   * (written to a temporary name, then renamed). `refresh` downloads again.
   */
  async _fetch(url, { refresh = false } = {}) {
    url = new URL(url);
    if (!this._cacheDir || !IS_NODE || url.protocol === "file:") return { bytes: await readURL(url) };
    const { mkdir, readFile, rename, writeFile } = await import("node:fs/promises");
    const name = decodeURIComponent(url.pathname.split("/").pop() || "index");
    if (!/^[^/\\]+$/.test(name) || name === "." || name === "..") return { bytes: await readURL(url) };
    const path = `${this._cacheDir}/${name}`;
    if (!refresh) {
      try {
        return { bytes: new Uint8Array(await readFile(path)), cached: true };
      } catch (error) {
        if (error.code !== "ENOENT") throw error;
      }
    }
    const bytes = await readURL(url);
    await mkdir(this._cacheDir, { recursive: true });
    const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(temporary, bytes);
    await rename(temporary, path);
    return { bytes };
  }

  /**
   * Unpacks a package's archive into the file system and loads its shared libraries.
   *   site      the folder for the wheel's own files (default: site-packages)
   *   source    what `PYODIDE_SOURCE` in its `.dist-info` says (micropip.list() reads it)
   *   metadata  files to write into the `.dist-info` instead: { name: text }
   */
  async _install(name, entry, bytes, { site, source, metadata } = {}) {
    const FS = this.FS;
    const label = `package ${name} (${entry.file_name})`;
    const members = zipMembers(bytes, label);
    const files = await Promise.all(members.map(async (member) => {
      const path = installPath(member.name, entry.install_dir, label, site);
      const data = await member.read();
      // Side modules start compiling while the rest unpacks (dylib.mjs).
      return { path, data, compiled: path?.endsWith(".so") ? compileSideModule(data) : undefined };
    }));
    // A slim runtime refuses a package whose side modules import what it does not export,
    // before any of its files is written.
    if (VARIANT === "slim") {
      await refuseMissingSymbols(this._Module, files.filter((f) => f.path?.endsWith(".so")), label);
    }
    const tree = new FileTree(FS);
    let distInfo;
    for (const { path, data } of files) {
      if (path === null) continue;
      // A stored member is a view into the archive: copied, so that the file does not keep
      // the whole archive alive.
      tree.file(path, data.byteLength === data.buffer.byteLength ? data : data.slice());
      if (/\.dist-info\/METADATA$/.test(path)) distInfo = path.slice(0, path.lastIndexOf("/"));
    }
    // Which installer put it there (PEP 376), as pip does, and where it came from, as
    // Pyodide's loader says it (micropip.list() shows it).
    metadata ??= { INSTALLER: "kiln\n", PYODIDE_SOURCE: source };
    if (distInfo) {
      for (const [file, text] of Object.entries(metadata)) {
        if (text === undefined) continue;
        if (!/^[A-Za-z0-9_.-]+$/.test(file)) throw new Error(`kiln: ${label}: bad metadata file name ${file}`);
        FS.writeFile(`${distInfo}/${file}`, String(text));
      }
    }
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
  async packagesForImports(code) {
    const lock = await this.lock({ optional: true });
    if (!lock || lock.imports.size === 0) return [];
    code = String(code);
    const words = code.match(/[\p{ID_Start}_][\p{ID_Continue}]*/gu) ?? [];
    if (!words.some((word) => lock.imports.has(word))) return [];
    const imported = this._findImports(code);
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
      packages = await this.packagesForImports(code);
    } catch (error) {
      options.errorCallback?.(error.message);
      throw error;
    }
    return packages.length ? this.loadPackage(packages, options) : [];
  }
}
