import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { FdSink, LineSink, callbackSource, fdSource, installStandardStreams } from "./streams.mjs";
import { mockFactory } from "./testing/emscripten.mjs";

const bytes = (text) => new TextEncoder().encode(text);

test("LineSink calls back once per line and passes an unfinished line on at flush", () => {
  const lines = [];
  const sink = new LineSink((line) => lines.push(line));
  sink.write(bytes("a\nb"));
  sink.write(bytes("c\n\nd"));
  assert.deepEqual(lines, ["a", "bc", ""]);
  sink.flush();
  sink.flush();
  assert.deepEqual(lines, ["a", "bc", "", "d"]);
  // A character split between two writes is decoded whole.
  const euro = bytes("€\n");
  sink.write(euro.subarray(0, 1));
  sink.write(euro.subarray(1));
  assert.equal(lines.at(-1), "€");
});

test("FdSink and fdSource move bytes to and from host file descriptors", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kiln-streams-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, "out");
  const fd = fs.openSync(file, "w+");
  new FdSink(fs, fd).write(bytes("hello"));
  const read = fdSource(fs, fs.openSync(file, "r"));
  const buffer = new Uint8Array(16);
  assert.equal(read(buffer), 5);
  assert.equal(new TextDecoder().decode(buffer.subarray(0, 5)), "hello");
  assert.equal(read(buffer), 0);
});

test("callbackSource serves strings and bytes in pieces, then end of input", () => {
  const chunks = ["ab", new Uint8Array([99]), "", null];
  const read = callbackSource(() => chunks.shift());
  const buffer = new Uint8Array(1);
  const got = [];
  for (let n; (n = read(buffer)) > 0;) got.push(buffer[0]);
  assert.equal(String.fromCharCode(...got), "abc");
  assert.equal(read(buffer), 0);
});

test("fds 0-2 become devices that read from the source and write to the sinks", async () => {
  const Module = await mockFactory()({});
  const out = [];
  const err = [];
  const input = ["typed\n", null];
  installStandardStreams(Module, {
    stdin: callbackSource(() => input.shift()),
    stdout: new LineSink((line) => out.push(line)),
    stderr: new LineSink((line) => err.push(line)),
    ttys: [true, false, false],
  });
  const { FS } = Module;
  assert.deepEqual([0, 1, 2].map((fd) => FS.getStream(fd).path),
    ["/dev/kiln-stdin", "/dev/kiln-stdout", "/dev/kiln-stderr"]);
  assert.ok(FS.getStream(0).tty, "stdin is a terminal when asked");
  assert.equal(FS.getStream(1).tty, undefined);
  assert.equal(FS.writeFd(1, "to stdout\n"), 10);
  FS.writeFd(2, "to stderr\n");
  assert.deepEqual([out, err], [["to stdout"], ["to stderr"]]);
  assert.equal(FS.readFd(0, 64), "typed\n");
  assert.equal(FS.readFd(0, 64), "");
  // stdin cannot be written, stdout cannot be read: EIO (29).
  assert.throws(() => FS.writeFd(0, "x"), (error) => error.errno === 29);
  assert.throws(() => FS.readFd(1, 1), (error) => error.errno === 29);
});

test("a closed pipe is EPIPE (64) for Python, not a JS exception", async () => {
  const Module = await mockFactory()({});
  const closed = {
    write() {
      throw Object.assign(new Error("EPIPE: broken pipe, write"), { code: "EPIPE" });
    },
    flush() {},
  };
  const failing = { write() { throw new Error("other"); }, flush() {} };
  installStandardStreams(Module, {
    stdin: callbackSource(() => null),
    stdout: closed,
    stderr: failing,
    ttys: [false, false, false],
  });
  assert.throws(() => Module.FS.writeFd(1, "x"), (error) => error.errno === 64);
  assert.throws(() => Module.FS.writeFd(2, "x"), /other/);
});
