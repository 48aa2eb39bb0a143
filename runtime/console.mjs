// The console's Python side (dist/console.mjs, beside console.html): a session that boots the
// runtime and runs what the page sends. console.html starts it as a module Web Worker, so the
// page only draws and stays responsive while Python runs; a page that wants Python to reach
// its DOM (`console.html?thread=main`) runs the same session in the page itself.
//
// input() and the Interrupt button need memory that the page and the worker share (a
// SharedArrayBuffer, offered only to cross-origin isolated pages): the worker blocks in
// Atomics.wait until the page writes the typed line (InputChannel below, the runtime's stdin
// hook `setStdin`), and the page writes SIGINT into the interrupt buffer that CPython's eval
// loop reads (`setInterruptBuffer`). Without shared memory the console still runs code;
// input() then reads end of input, and the page says why.
//
// Messages, page → session: {type: "boot", buffer?, persist?}, {type: "run", id, source},
// {type: "complete", id, source}, {type: "interrupt"}. Session → page: {type: "output",
// stream, text}, {type: "note", text}, {type: "ready", banner, persisted}, {type: "failed",
// error}, {type: "running", id} (the input's code starts: it can be interrupted from now on),
// {type: "input"} (Python waits for a line), {type: "done", id, value?, error?}, {type:
// "complete", id, complete}.
//
// Not part of the loader (python.mjs): kiln copies this file as it is.

// Int32 slots at the start of the shared buffer, then the input bytes.
const SLOT_SIGNAL = 0; // the interrupt buffer: a signal number the page writes (2: SIGINT)
const SLOT_STATE = 1; // what the input exchange is at (below)
const SLOT_LENGTH = 2; // how many input bytes the page wrote
const DATA_OFFSET = 16;

const IDLE = 0; // nobody reads
const WAITING = 1; // Python waits for input
const READY = 2; // the page wrote bytes
const END = 3; // the page ended the input (Ctrl+D)
const INTERRUPTED = 4; // the page interrupted the wait

const SIGINT = 2;

/**
 * The memory the page and the thread running Python share: the interrupt buffer and one
 * input exchange at a time. Python's side calls `read` (it blocks); the page's side
 * `provide`, `end` and `interrupt`.
 */
export class InputChannel {
  /** A channel over a new SharedArrayBuffer holding up to `capacity` input bytes at once. */
  static create(capacity = 64 * 1024) {
    return new InputChannel(new SharedArrayBuffer(DATA_OFFSET + capacity));
  }

  constructor(buffer) {
    this.buffer = buffer;
    this.slots = new Int32Array(buffer, 0, DATA_OFFSET / 4);
    this.data = new Uint8Array(buffer, DATA_OFFSET);
    this.pending = new Uint8Array(0); // Python's side: bytes received but not read yet
  }

  /** For setInterruptBuffer: the slot the page writes a signal number into. */
  get interruptBuffer() {
    return new Int32Array(this.buffer, SLOT_SIGNAL * 4, 1);
  }

  /**
   * Python's side: fills `target` with input; blocks until the page has some. `ask()` is
   * called when the page must be asked (nothing left of earlier input). Returns the number
   * of bytes (0: end of input), or -1 if the page interrupted the wait.
   */
  read(target, ask) {
    if (this.pending.length === 0) {
      Atomics.store(this.slots, SLOT_STATE, WAITING);
      ask();
      Atomics.wait(this.slots, SLOT_STATE, WAITING);
      const state = Atomics.exchange(this.slots, SLOT_STATE, IDLE);
      if (state === END) return 0;
      if (state === INTERRUPTED) return -1;
      this.pending = this.data.slice(0, Atomics.load(this.slots, SLOT_LENGTH));
    }
    const n = Math.min(target.length, this.pending.length);
    target.set(this.pending.subarray(0, n));
    this.pending = this.pending.subarray(n);
    return n;
  }

  /** Python's side: forgets input received but not read (a new run starts afresh). */
  discardPending() {
    this.pending = new Uint8Array(0);
  }

  /** The page's side: whether Python waits for input. */
  get waiting() {
    return Atomics.load(this.slots, SLOT_STATE) === WAITING;
  }

  /**
   * The page's side: hands `bytes` to Python waiting for input, as much as fits; returns how
   * many it took (0 if Python was not waiting).
   */
  provide(bytes) {
    if (!this.waiting) return 0;
    const n = Math.min(bytes.length, this.data.length);
    this.data.set(bytes.subarray(0, n));
    Atomics.store(this.slots, SLOT_LENGTH, n);
    return this._settle(READY) ? n : 0;
  }

  /** The page's side: end of input (Python's read returns 0: EOFError for input()). */
  end() {
    return this._settle(END);
  }

  /**
   * The page's side: SIGINT for the Python code running, which raises KeyboardInterrupt at
   * its next check (every 50 eval-loop back edges and calls), and a wait for input ends.
   */
  interrupt(signal = SIGINT) {
    Atomics.store(this.slots, SLOT_SIGNAL, signal);
    this._settle(INTERRUPTED);
  }

  /** A signal that the page wrote and Python has not taken yet (0: none). */
  get pendingSignal() {
    return Atomics.load(this.slots, SLOT_SIGNAL);
  }

  clearSignal() {
    Atomics.store(this.slots, SLOT_SIGNAL, 0);
  }

  _settle(state) {
    if (Atomics.compareExchange(this.slots, SLOT_STATE, WAITING, state) !== WAITING) return false;
    Atomics.notify(this.slots, SLOT_STATE);
    return true;
  }
}

/**
 * One console's runtime: boots it, runs inputs as the console does (packages a snippet
 * imports loaded first, top-level `await`, a value shown as its repr), and answers the
 * messages above through `handle`. `post(message)` sends to the page.
 */
export class ConsoleSession {
  /**
   * `warmUp`: once the prompt is ready, prepare what the first run needs (asyncio, 0.5–2 s;
   * interrupts) at once rather than on the first run. For a worker, which the page does not
   * wait for.
   */
  constructor(post, { loaderURL = new URL("python.mjs", import.meta.url).href, warmUp = false } = {}) {
    this.post = post;
    this.loaderURL = loaderURL;
    this.warmUp = warmUp;
    this.task = undefined; // the asyncio task of the input running
    this.interrupted = false;
  }

  /** Answers one message from the page (see the top of this file). */
  async handle(message) {
    switch (message.type) {
      case "boot":
        return this.boot(message).catch((error) => {
          this.post({ type: "failed", error: String(error?.stack ?? error) });
        });
      case "run": {
        const outcome = await this.run(message.source, message.id);
        return this.post({ type: "done", id: message.id, ...outcome });
      }
      case "complete":
        return this.post({ type: "complete", id: message.id, complete: this.isComplete(message.source) });
      case "interrupt":
        return this.interruptAwait();
      default:
        throw new Error(`kiln console: unknown message ${JSON.stringify(message.type)}`);
    }
  }

  /**
   * Loads the runtime, wires its streams to the page, and mounts `persist` (a folder kept in
   * IndexedDB, the working folder) when asked to. `buffer`: the InputChannel's shared memory.
   */
  async boot({ buffer, persist }) {
    const { loadPyodide } = await import(this.loaderURL);
    const pyodide = await loadPyodide();
    this.pyodide = pyodide;
    for (const stream of ["stdout", "stderr"]) {
      // Text as Python writes it (a prompt without its newline too), decoded as it comes.
      const decoder = new TextDecoder();
      const write = (bytes) => {
        const text = decoder.decode(bytes, { stream: true });
        if (text) this.post({ type: "output", stream, text });
        return bytes.length;
      };
      if (stream === "stdout") pyodide.setStdout({ write });
      else pyodide.setStderr({ write });
    }
    if (buffer) {
      const channel = new InputChannel(buffer);
      this.channel = channel;
      const { FS, ERRNO_CODES } = pyodide;
      pyodide.setStdin({
        read: (target) => {
          const n = channel.read(target, () => this.post({ type: "input" }));
          // Interrupted: EINTR makes Python check its signals, and the SIGINT the page
          // wrote raises KeyboardInterrupt.
          if (n < 0) throw new FS.ErrnoError(ERRNO_CODES.EINTR);
          return n;
        },
      });
    } else {
      pyodide.setStdin({
        stdin: () => {
          this.note("input() reads nothing here: this console has no memory shared with its page");
          return null;
        },
      });
    }
    let persisted;
    if (persist) {
      try {
        this.mount = await pyodide.mountIDBFS(persist);
        pyodide.FS.chdir(persist);
        persisted = persist;
      } catch (error) {
        this.note(`Files will not be kept: ${error.message ?? error}`);
      }
    }
    const helper = pyodide.pyimport("_kiln");
    this.consoleRun = helper.console_run;
    this.isCompleteFn = helper.is_complete;
    helper.destroy();
    const banner = pyodide.runPython("import sys; f'Python {sys.version} on {sys.platform}'");
    this.post({ type: "ready", banner, persisted });
    if (this.warmUp) {
      setTimeout(() => {
        try {
          this._prepare();
        } catch (error) {
          this.note(`The console is not ready to run: ${error.message ?? error}`);
        }
      });
    }
  }

  /**
   * What runs need, once: the interrupt buffer (it installs Python's SIGINT handler) and
   * asyncio.ensure_future (importing asyncio installs the WebLoop). Returns ensure_future.
   */
  _prepare() {
    if (!this.ensureFuture) {
      if (this.channel) this.pyodide.setInterruptBuffer(this.channel.interruptBuffer);
      const asyncio = this.pyodide.pyimport("asyncio");
      this.ensureFuture = asyncio.ensure_future;
      asyncio.destroy();
    }
    return this.ensureFuture;
  }

  note(text) {
    this.post({ type: "note", text });
  }

  /** Whether `source` is a complete statement (Python's console rule, `_kiln.is_complete`). */
  isComplete(source) {
    return Boolean(this.isCompleteFn?.(String(source)));
  }

  /**
   * Runs a console input; resolves to `{ value }` (a repr to show, or none) or `{ error }`
   * (a traceback). The working folder's changes are saved afterwards when it is kept.
   */
  async run(source, id) {
    const { pyodide } = this;
    if (!pyodide) return { error: "the runtime is not loaded" };
    const started = performance.now();
    let outcome;
    try {
      await pyodide.loadPackagesFromImports(source, { messageCallback: (m) => this.note(m) });
      // An Interrupt that came too late for the last input must not stop this one.
      this.channel?.clearSignal();
      this.channel?.discardPending();
      this.interrupted = false;
      const ensureFuture = this._prepare();
      this.post({ type: "running", id });
      const coroutine = this.consoleRun(source);
      const task = ensureFuture(coroutine);
      coroutine.destroy();
      this.task = task;
      try {
        outcome = { value: await task };
      } finally {
        this.task = undefined;
        task.destroy();
      }
    } catch (error) {
      const cancelled = this.interrupted && error?.type === "CancelledError";
      outcome = {
        error: cancelled ? "KeyboardInterrupt"
          : error instanceof pyodide.ffi.PythonError ? error.message.trimEnd()
            : String(error?.message ?? error),
      };
    }
    if (this.mount) {
      await this.mount.syncfs().catch((error) => this.note(error.message));
    }
    return { ...outcome, ms: Math.round(performance.now() - started) };
  }

  /**
   * The page's Interrupt, seen by this thread: it only gets here while no Python code runs
   * (a running loop takes the SIGINT itself), so an input that awaits something is
   * cancelled, as asyncio's REPL does on Ctrl+C.
   */
  interruptAwait() {
    if (!this.task || !this.channel?.pendingSignal) return;
    this.channel.clearSignal();
    this.interrupted = true;
    this.task.cancel();
  }
}

// Started as a worker (by console.html): the session answers the page's messages, in order.
if (typeof WorkerGlobalScope !== "undefined" && globalThis instanceof WorkerGlobalScope) {
  const session = new ConsoleSession((message) => globalThis.postMessage(message), { warmUp: true });
  let queue = Promise.resolve();
  globalThis.addEventListener("message", (event) => {
    // An Interrupt must not wait behind the input it interrupts.
    if (event.data?.type === "interrupt") {
      session.handle(event.data);
      return;
    }
    queue = queue.then(() => session.handle(event.data)).catch((error) => {
      globalThis.postMessage({ type: "note", text: `console error: ${error?.stack ?? error}` });
    });
  });
}
