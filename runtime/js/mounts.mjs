// File systems: which host folders the runtime sees. Today, Node's NODEFS mounts of the host's
// folders at their own paths (the command line's view of the world); the runtime's own files
// live in emscripten's in-memory file system (see boot.mjs). Persistent and browser-side
// mounts belong here too.

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
