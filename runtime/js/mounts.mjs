// File systems: which host folders the runtime sees, and what persists. In Node, NODEFS mounts
// of the host's folders at their own paths (the command line's view of the world); in a
// browser, folders kept in IndexedDB (IDBFS). The runtime's own files live in emscripten's
// in-memory file system (see boot.mjs).

import { PREFIX } from "./layout.mjs";

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
export async function mountHostFolders(Module, extraPaths) {
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
 * Browser (a page or a worker): a folder at `path` whose files are kept in IndexedDB, with
 * emscripten's IDBFS (linked into the interpreter: `-lidbfs.js` in the cpython recipe). The
 * folder lives in memory like any other; what IndexedDB holds is copied in before this
 * resolves, and `syncfs()` copies the folder's changes out (only this mount's, one sync at a
 * time). With `autoPersist: true`, IDBFS also syncs by itself after each change (a file
 * closed, removed, renamed). The database is the origin's and is named after `path`, so the
 * same path finds the same files after a reload. Resolves to `{ path, syncfs() → Promise }`.
 */
export async function mountIDBFS(FS, path, { autoPersist = false } = {}) {
  const IDBFS = FS.filesystems?.IDBFS;
  if (!IDBFS) throw new Error("kiln: this interpreter was linked without IDBFS (-lidbfs.js)");
  if (typeof indexedDB === "undefined") {
    throw new Error("kiln: mountIDBFS needs IndexedDB, which this JavaScript host lacks (use mountNodeFS in Node)");
  }
  FS.mkdirTree(path);
  const { mount } = FS.mount(IDBFS, { autoPersist }, path);
  let last = Promise.resolve();
  const sync = (populate) => {
    const run = () => new Promise((resolve, reject) => {
      IDBFS.syncfs(mount, populate, (error) => {
        if (!error) return resolve();
        const why = error?.message ?? (error?.errno !== undefined ? `errno ${error.errno}` : String(error));
        reject(new Error(`kiln: ${populate ? "reading" : "saving"} ${path} ${populate ? "from" : "to"} IndexedDB failed: ${why}`));
      });
    });
    // One sync of this mount at a time: IDBFS compares both sides before it copies.
    const next = last.then(run, run);
    last = next.catch(() => {});
    return next;
  };
  await sync(true);
  return { path, syncfs: () => sync(false) };
}
