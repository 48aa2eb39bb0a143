import assert from "node:assert/strict";
import { test } from "node:test";
import { FileTree } from "./files.mjs";

class ErrnoError extends Error {
  constructor(errno) {
    super(`errno ${errno}`);
    this.errno = errno;
  }
}

/**
 * The part of emscripten's FS a FileTree touches, shaped as emscripten's is: nodes with a
 * `mount`, MEMFS folders keeping their children in `contents`, `node_ops.mknod` making a child.
 * Counts path resolutions and writeFile calls.
 */
function fakeFS() {
  const MEMFS = { name: "MEMFS" };
  const NODEFS = { name: "NODEFS" };
  const calls = { lookupPath: 0, writeFile: 0 };
  const node = (name, mode, mount) => ({
    name, mode, mount, contents: (mode & 0o170000) === 0o040000 ? {} : new Uint8Array(0),
    usedBytes: 0,
    node_ops: { mknod: (parent, child, childMode) => (parent.contents[child] = node(child, childMode, parent.mount)) },
  });
  const root = node("/", 0o040777, { type: MEMFS });
  const FS = {
    ErrnoError,
    filesystems: { MEMFS, NODEFS },
    calls,
    root,
    lookupPath(path) {
      calls.lookupPath++;
      let at = root;
      for (const part of path.split("/").filter(Boolean)) {
        at = at.contents instanceof Uint8Array ? undefined : at.contents[part];
        if (!at) throw new ErrnoError(44);
      }
      return { node: at };
    },
    mkdir(path) {
      const slash = path.lastIndexOf("/");
      const parent = FS.lookupPath(path.slice(0, slash) || "/").node;
      return parent.node_ops.mknod(parent, path.slice(slash + 1), 0o040777);
    },
    writeFile(path, data) {
      calls.writeFile++;
      const slash = path.lastIndexOf("/");
      const parent = FS.lookupPath(path.slice(0, slash) || "/").node;
      const file = parent.node_ops.mknod(parent, path.slice(slash + 1), 0o100666);
      file.contents = data.slice();
      file.usedBytes = data.length;
    },
    read(path) {
      const file = FS.lookupPath(path).node;
      return new TextDecoder().decode(file.contents.subarray(0, file.usedBytes));
    },
  };
  return FS;
}

const bytes = (text) => new TextEncoder().encode(text);

test("files are made with their folders, each folder resolved once, contents kept", () => {
  const FS = fakeFS();
  const tree = new FileTree(FS);
  const data = bytes("import os\n");
  const node = tree.file("/usr/lib/python/json/__init__.py", data);
  tree.file("/usr/lib/python/json/decoder.py", bytes("x = 1\n"));
  tree.file("/usr/lib/python/os.py", bytes("y = 2\n"));
  assert.equal(node.contents, data, "the array is the file's contents, not a copy");
  assert.equal(node.usedBytes, data.length);
  assert.equal(node.mode, 0o100666);
  assert.equal(FS.read("/usr/lib/python/json/decoder.py"), "x = 1\n");
  assert.equal(FS.read("/usr/lib/python/os.py"), "y = 2\n");
  assert.equal(FS.calls.writeFile, 0);
  const resolved = FS.calls.lookupPath;
  tree.file("/usr/lib/python/json/encoder.py", bytes(""));
  assert.equal(FS.calls.lookupPath, resolved, "a known folder is not resolved again");
});

test("a name already taken, or a folder on another file system, goes through writeFile", () => {
  const FS = fakeFS();
  const tree = new FileTree(FS);
  tree.file("/site/a.py", bytes("old\n"));
  tree.file("/site/a.py", bytes("new\n"));
  assert.equal(FS.read("/site/a.py"), "new\n");
  assert.equal(FS.calls.writeFile, 1);

  tree.folder("/host").mount = { type: FS.filesystems.NODEFS };
  tree.file("/host/b.py", bytes("b\n"));
  assert.equal(FS.read("/host/b.py"), "b\n");
  assert.equal(FS.calls.writeFile, 2);
});

test("errors other than a missing folder are not taken for one", () => {
  const FS = fakeFS();
  FS.lookupPath = () => {
    throw new TypeError("broken");
  };
  assert.throws(() => new FileTree(FS).file("/a/b.py", bytes("")), /broken/);
});
