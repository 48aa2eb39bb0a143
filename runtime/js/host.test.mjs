import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { pathToFileURL } from "node:url";
import { IS_NODE, includeText, readURL, resolveIndexURL, toURL } from "./host.mjs";

test("Node is recognised, and paths become file: URLs", async () => {
  assert.equal(IS_NODE, true);
  assert.equal(await toURL("/srv/dist"), "file:///srv/dist");
  assert.equal(await toURL("https://example.invalid/a/"), "https://example.invalid/a/");
  assert.equal(await toURL(new URL("file:///x/y")), "file:///x/y");
});

test("the index URL ends in a slash and defaults to the entry module's folder", async () => {
  assert.equal(await resolveIndexURL(undefined, "file:///srv/dist/python.mjs"), "file:///srv/dist/");
  assert.equal(await resolveIndexURL("/srv/other", "file:///srv/dist/python.mjs"), "file:///srv/other/");
  assert.equal(await resolveIndexURL("file:///srv/x/", "file:///y/python.mjs"), "file:///srv/x/");
});

test("readURL reads files, and says when one is missing", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kiln-host-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, "a.txt"), "abc");
  assert.deepEqual(await readURL(pathToFileURL(path.join(dir, "a.txt"))), new Uint8Array([97, 98, 99]));
  await assert.rejects(readURL(pathToFileURL(path.join(dir, "missing"))),
    (error) => error.notFound === true && /^kiln: cannot read .*missing/.test(error.message));
  assert.equal(await includeText("a.txt", pathToFileURL(path.join(dir, "module.mjs")).href), "abc");
});
