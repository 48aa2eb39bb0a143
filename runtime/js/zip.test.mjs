import assert from "node:assert/strict";
import { test } from "node:test";
import { makeZip } from "./testing/zip.mjs";
import { zipMembers } from "./zip.mjs";

const text = (bytes) => new TextDecoder().decode(bytes);

test("members are read, deflated or stored, folders left out", async () => {
  const zip = makeZip({ "pkg/": "", "pkg/__init__.py": "x = 1\n".repeat(100), "pkg/data.bin": new Uint8Array([1, 2, 3]) });
  const members = zipMembers(zip, "test.whl");
  assert.deepEqual(members.map((m) => m.name), ["pkg/__init__.py", "pkg/data.bin"]);
  assert.equal(text(await members[0].read()), "x = 1\n".repeat(100));
  assert.deepEqual(await members[1].read(), new Uint8Array([1, 2, 3]));
});

test("an archive comment after the end record is skipped", async () => {
  const zip = makeZip({ "a.py": "a" });
  const withComment = new Uint8Array(zip.length + 5);
  withComment.set(zip);
  new DataView(withComment.buffer).setUint16(zip.length - 2, 5, true);
  assert.deepEqual(zipMembers(withComment, "c.whl").map((m) => m.name), ["a.py"]);
});

test("what the reader refuses names the archive and the reason", async () => {
  const refuse = (bytes, why) => assert.throws(() => zipMembers(bytes, "bad.whl"),
    (error) => error.message === `kiln: bad.whl is not a readable zip archive: ${why}`);
  refuse(new Uint8Array(100), "no end-of-central-directory record");
  refuse(makeZip({ "a.py": "a" }, { tweak: (record) => record.writeUInt16LE(1, 8) }), "a.py is encrypted");
  refuse(makeZip({ "a.py": "a" }, { tweak: (record) => record.writeUInt16LE(12, 10) }),
    "a.py uses compression method 12");
  refuse(makeZip({ "a.py": "a" }, { tweak: (record) => record.writeUInt32LE(9999, 42) }),
    "no local header for a.py");
  refuse(makeZip({ "a.py": "a" }, { tweak: (record) => record.writeUInt32LE(9999, 20) }),
    "a.py is truncated");
  const zip64 = makeZip({ "a.py": "a" });
  new DataView(zip64.buffer).setUint32(zip64.length - 6, 0xffffffff, true);
  refuse(zip64, "zip64 archives are not supported");
  const [wrongSize] = zipMembers(makeZip({ "a.py": "abc" }, { tweak: (record) => record.writeUInt32LE(2, 24) }), "bad.whl");
  await assert.rejects(wrongSize.read(), /a\.py unpacks to the wrong size/);
});
