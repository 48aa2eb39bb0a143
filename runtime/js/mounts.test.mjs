import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { mountHostFolders } from "./mounts.mjs";
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
