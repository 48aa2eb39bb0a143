import assert from "node:assert/strict";
import { test } from "node:test";
import { Worker } from "node:worker_threads";
import { ConsoleSession, InputChannel } from "./console.mjs";

// The console's shared memory between two real threads (Node's worker_threads stand in for
// the page and the Web Worker): Python's side blocks in Atomics.wait, the page's side writes.
// The session on a built runtime, in Chromium: tests/browser/worker-console.test.mjs.

/**
 * A thread that reads from the channel as Python's stdin would, `sizes` bytes at a time,
 * and reports each read: { n, text } (n: 0 end of input, -1 interrupted), and { asked }
 * when the page must be asked for input.
 */
function reader(buffer, sizes) {
  const source = `
    const { parentPort, workerData } = require("node:worker_threads");
    import(workerData.module).then(({ InputChannel }) => {
      const channel = new InputChannel(workerData.buffer);
      for (const size of workerData.sizes) {
        const target = new Uint8Array(size);
        const n = channel.read(target, () => parentPort.postMessage({ asked: true }));
        parentPort.postMessage({ n, text: new TextDecoder().decode(target.subarray(0, Math.max(n, 0))) });
      }
    });`;
  const module = new URL("./console.mjs", import.meta.url).href;
  const worker = new Worker(source, { eval: true, workerData: { buffer, sizes, module } });
  const messages = [];
  let notify;
  worker.on("message", (message) => {
    messages.push(message);
    notify?.();
  });
  /** The next message from the thread. */
  const next = async () => {
    while (!messages.length) await new Promise((resolve) => { notify = resolve; });
    return messages.shift();
  };
  return { worker, next };
}

test("Python's side waits for the page's line, reads it in pieces, and asks again after it", async () => {
  const channel = InputChannel.create(8);
  assert.equal(channel.provide(new Uint8Array([1])), 0, "nobody waits: nothing is taken");
  const { worker, next } = reader(channel.buffer, [4, 4, 64, 64]);
  try {
    assert.deepEqual(await next(), { asked: true });
    assert.ok(channel.waiting);
    // A line longer than the shared memory: the page hands over what fits, then the rest
    // when asked again.
    const line = new TextEncoder().encode("Ada Lovelace\n");
    const taken = channel.provide(line);
    assert.equal(taken, 8);
    assert.deepEqual(await next(), { n: 4, text: "Ada " });
    assert.deepEqual(await next(), { n: 4, text: "Love" }, "the rest of what came, without asking");
    assert.deepEqual(await next(), { asked: true });
    assert.equal(channel.provide(line.subarray(taken)), 5);
    assert.deepEqual(await next(), { n: 5, text: "lace\n" });
    assert.deepEqual(await next(), { asked: true });
    assert.ok(channel.end(), "Ctrl+D");
    assert.deepEqual(await next(), { n: 0, text: "" });
    assert.ok(!channel.waiting);
    assert.ok(!channel.end(), "nobody waits any more");
  } finally {
    await worker.terminate();
  }
});

test("an interrupt writes SIGINT for Python's eval loop and ends a wait for input", async () => {
  const channel = InputChannel.create();
  assert.equal(channel.pendingSignal, 0);
  // Nobody waits: the signal only waits for the eval loop (which resets it when it takes it).
  channel.interrupt();
  assert.equal(channel.interruptBuffer[0], 2);
  channel.clearSignal();
  const { worker, next } = reader(channel.buffer, [16]);
  try {
    assert.deepEqual(await next(), { asked: true });
    channel.interrupt();
    assert.deepEqual(await next(), { n: -1, text: "" });
    assert.equal(channel.pendingSignal, 2, "left for Python: it raises KeyboardInterrupt");
    assert.ok(!channel.waiting);
  } finally {
    await worker.terminate();
  }
});

test("the session answers the page's messages; a run before the runtime loaded fails", async () => {
  const posted = [];
  const session = new ConsoleSession((message) => posted.push(message));
  await session.handle({ type: "run", id: 1, source: "1" });
  await session.handle({ type: "complete", id: 2, source: "if x:" });
  session.handle({ type: "interrupt" }); // nothing runs: nothing to cancel
  assert.deepEqual(posted, [
    { type: "done", id: 1, error: "the runtime is not loaded" },
    { type: "complete", id: 2, complete: false },
  ]);
  await assert.rejects(session.handle({ type: "bogus" }), /unknown message "bogus"/);
  // A loader that fails is reported to the page, not thrown in the worker.
  const failing = new ConsoleSession((message) => posted.push(message), { loaderURL: "data:text/javascript,throw new Error('no loader')" });
  await failing.handle({ type: "boot" });
  assert.equal(posted.at(-1).type, "failed");
  assert.match(posted.at(-1).error, /no loader/);
});
