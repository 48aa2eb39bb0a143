import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { mountHostFolders, mountIDBFS } from "./mounts.mjs";
import { mockFactory } from "./testing/emscripten.mjs";

test("host folders are mounted at their own paths, system folders and /usr left out", async () => {
  const Module = await mockFactory()({});
  const outside = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "kiln-mounts-")));
  after(() => fs.rmSync(outside, { recursive: true, force: true }));
  fs.writeFileSync(path.join(outside, "script.py"), "");
  const mounted = await mountHostFolders(Module, [
    path.join(outside, "script.py"), // a file: its folder
    "/no/such/folder",
    "/usr/local/lib/python3.15", // the runtime's own files are never shadowed
    "/",
  ]);
  const topLevel = fs.readdirSync("/", { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !["usr", "proc", "sys", "dev", "etc", "bin", "lib",
      "sbin", "lib64", "lib32", "libx32", "boot", "run", "lost+found"].includes(entry.name))
    .map((entry) => "/" + entry.name);
  const expected = [...topLevel];
  if (!topLevel.some((top) => outside.startsWith(top + "/"))) expected.push(outside);
  assert.deepEqual(mounted, expected);
  assert.deepEqual(Module.FS.mounts.map((m) => m.mountpoint), expected);
  assert.ok(Module.FS.mounts.every((m) => m.type === "NODEFS" && m.root === m.mountpoint));
  assert.ok(!mounted.includes("/usr"));
});

test("an IndexedDB folder is read in when mounted and saved by syncfs, one sync at a time", async (t) => {
  const Module = await mockFactory()({});
  const FS = Module.FS;
  const IDBFS = FS.filesystems.IDBFS;
  await assert.rejects(mountIDBFS(FS, "/data"), /mountIDBFS needs IndexedDB/, "Node has no IndexedDB");
  globalThis.indexedDB = {};
  t.after(() => delete globalThis.indexedDB);
  const mounted = await mountIDBFS(FS, "/home/web_user/kept", { autoPersist: true });
  assert.ok(FS.dirs.has("/home/web_user/kept"));
  assert.deepEqual(FS.mounts.map((m) => [m.type, m.mountpoint, m.opts.autoPersist]),
    [["IDBFS", "/home/web_user/kept", true]]);
  assert.deepEqual(IDBFS.syncs, [["/home/web_user/kept", true]], "populated before it resolves");
  assert.equal(mounted.path, "/home/web_user/kept");
  // Two saves asked for at once run one after the other; a failure names the folder and
  // does not stop the next save.
  IDBFS.failSync = new Error("QuotaExceededError");
  const first = mounted.syncfs();
  const second = mounted.syncfs();
  await assert.rejects(first, /^Error: kiln: saving \/home\/web_user\/kept to IndexedDB failed: QuotaExceededError$/);
  await second;
  assert.deepEqual(IDBFS.syncs.slice(1), [["/home/web_user/kept", false], ["/home/web_user/kept", false]]);
  assert.equal(IDBFS.overlap, 1);
  delete FS.filesystems.IDBFS;
  await assert.rejects(mountIDBFS(FS, "/other"), /linked without IDBFS/);
});
