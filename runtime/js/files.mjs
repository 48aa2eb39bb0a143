// Writing many files into the runtime's file system at once: the stdlib at every boot (about
// 600 files and placeholders), a package's files at its installation (numpy: 430).
//
// emscripten's FS.writeFile and FS.mkdirTree resolve the whole path on every call, and
// mkdirTree throws and catches an error for every folder that exists already: 0.2 s of each
// boot went there (measured in Node 20 on the 2-core build host). A FileTree resolves each
// folder once and makes files with their folder's own `mknod`, which is what FS.mknod calls
// once it has resolved the path and checked that the name is free; a name that is taken, or a
// folder that is not in memory (a mounted host folder), takes emscripten's ordinary way.

// File type bits of st_mode (sys/stat.h).
const S_IFREG = 0o100000;

/** Folders and files made in one emscripten file system, with the folders kept by path. */
export class FileTree {
  constructor(FS) {
    this.FS = FS;
    this._folders = new Map(); // absolute path → node
    this._memfs = FS.filesystems?.MEMFS;
  }

  /** The node of folder `path` (absolute, no trailing slash), made with its parents if needed. */
  folder(path) {
    let node = this._folders.get(path);
    if (node) return node;
    const FS = this.FS;
    try {
      node = FS.lookupPath(path || "/").node;
    } catch (error) {
      if (!(error instanceof FS.ErrnoError)) throw error;
      this.folder(path.slice(0, path.lastIndexOf("/")));
      node = FS.mkdir(path);
    }
    this._folders.set(path, node);
    return node;
  }

  /**
   * Writes `data` (a Uint8Array, kept as the file's contents, not copied: the caller gives it
   * up) to the file at absolute `path`, making its folders. Returns the file's node.
   */
  file(path, data) {
    const slash = path.lastIndexOf("/");
    const parent = this.folder(path.slice(0, slash));
    const name = path.slice(slash + 1);
    const inMemory = this._memfs !== undefined && parent.mount?.type === this._memfs;
    if (!inMemory || !name || name === "." || name === ".." || Object.hasOwn(parent.contents, name)) {
      this.FS.writeFile(path, data, { canOwn: true });
      return this.FS.lookupPath(path).node;
    }
    const node = parent.node_ops.mknod(parent, name, S_IFREG | 0o666, 0);
    node.contents = data;
    node.usedBytes = data.length;
    return node;
  }
}
