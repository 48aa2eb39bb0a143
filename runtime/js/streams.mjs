// The standard streams: Python's fds 0-2 as emscripten character devices that hand whole
// buffers to sinks (a JS callback per line, or a host fd in Node) and read from sources (a JS
// callback, or a host fd in Node).

// An unused device major number for the standard stream devices below.
const STREAM_DEVICE_MAJOR = 64;
// emscripten's errno values (WASI numbering): EIO, and EPIPE (Python's BrokenPipeError).
const EIO = 29;
const EPIPE = 64;

/**
 * Output to a JS callback, one call per complete line (without the newline); what remains of
 * an unfinished line is passed on by flush(), after every runPython and at exit.
 */
export class LineSink {
  constructor(callback) {
    this.callback = callback;
    this.decoder = new TextDecoder();
    this.pending = "";
  }
  write(bytes) {
    this.pending += this.decoder.decode(bytes, { stream: true });
    let nl;
    while ((nl = this.pending.indexOf("\n")) >= 0) {
      this.callback(this.pending.slice(0, nl));
      this.pending = this.pending.slice(nl + 1);
    }
  }
  flush() {
    this.pending += this.decoder.decode();
    if (this.pending) this.callback(this.pending);
    this.pending = "";
  }
}

/** Output to a JS callback, one call per byte (Pyodide's `raw` handler). */
export class RawSink {
  constructor(callback) {
    this.callback = callback;
  }
  write(bytes) {
    for (const byte of bytes) this.callback(byte);
  }
  flush() {}
}

/** Output to a writer: `write(bytes)` returns how many bytes it took (Pyodide's `write`). */
export class WriterSink {
  constructor(writer) {
    this.writer = writer;
  }
  write(bytes) {
    let done = 0;
    while (done < bytes.length) {
      const n = this.writer.write(bytes.subarray(done));
      if (!(n > 0)) throw new Error("kiln: an output writer took no bytes");
      done += n;
    }
  }
  flush() {
    this.writer.fsync?.();
  }
}

/** Output straight to a host file descriptor (Node), byte for byte. */
export class FdSink {
  constructor(fs, fd) {
    this.fs = fs;
    this.fd = fd;
  }
  write(bytes) {
    let done = 0;
    while (done < bytes.length) {
      try {
        done += this.fs.writeSync(this.fd, bytes, done, bytes.length - done);
      } catch (e) {
        if (e.code !== "EAGAIN") throw e; // a non-blocking pipe that is full: try again
      }
    }
  }
  flush() {}
}

/** Input from a host file descriptor (Node). */
export function fdSource(fs, fd) {
  return (buffer) => {
    for (;;) {
      try {
        return fs.readSync(fd, buffer, 0, buffer.length, null);
      } catch (e) {
        if (e.code === "EOF") return 0;
        if (e.code !== "EAGAIN") throw e;
      }
    }
  };
}

/**
 * Input from a JS callback returning a string, bytes (Uint8Array, ArrayBuffer), a number (one
 * byte), or null/undefined at end of input. After the end, the next read asks again (a
 * console can be typed into more than once).
 */
export function callbackSource(callback) {
  const encoder = new TextEncoder();
  let rest = new Uint8Array(0);
  let ended = false;
  return (buffer) => {
    if (ended && rest.length === 0) {
      ended = false;
      return 0;
    }
    while (rest.length === 0 && !ended) {
      const chunk = callback();
      if (chunk === null || chunk === undefined) ended = true;
      else if (typeof chunk === "string") rest = encoder.encode(chunk);
      else if (typeof chunk === "number") rest = new Uint8Array([chunk]);
      else rest = new Uint8Array(chunk);
    }
    const n = Math.min(rest.length, buffer.length);
    buffer.set(rest.subarray(0, n));
    rest = rest.subarray(n);
    return n;
  };
}

/**
 * Replaces emscripten's default standard streams (which go through console.log one line at a
 * time and report no errors) with devices that hand whole buffers to the sinks above. Python
 * sees ordinary character devices on fds 0-2, so sys.stdin/stdout/stderr all exist. Returns
 * the three devices, whose `read`, `sink` and `tty` may be replaced later.
 */
export function installStandardStreams(Module, { stdin, stdout, stderr, ttys }) {
  const FS = Module.FS;
  // Mutable: setStdin/setStdout/setStderr replace `read`, `sink` and `tty` later.
  const devices = [
    { name: "stdin", flags: 0 /* O_RDONLY */, read: stdin, tty: ttys[0] },
    { name: "stdout", flags: 1 /* O_WRONLY */, sink: stdout, tty: ttys[1] },
    { name: "stderr", flags: 1, sink: stderr, tty: ttys[2] },
  ];
  for (const fd of [0, 1, 2]) FS.close(FS.getStream(fd));
  devices.forEach((d, fd) => {
    const dev = FS.makedev(STREAM_DEVICE_MAJOR, fd);
    FS.registerDevice(dev, {
      open(stream) {
        // A tty object makes isatty() true, so Python line-buffers and the REPL prompts.
        if (d.tty) stream.tty = { ops: {} };
      },
      close() {},
      read(stream, buffer, offset, length) {
        if (!d.read) throw new FS.ErrnoError(EIO);
        return d.read(new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length));
      },
      write(stream, buffer, offset, length) {
        if (!d.sink) throw new FS.ErrnoError(EIO);
        try {
          d.sink.write(new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length));
        } catch (e) {
          // A reader that went away (`| head -1`) is Python's BrokenPipeError, as natively:
          // CPython reports it and picks the exit status, not a JS stack trace.
          if (e?.code === "EPIPE") throw new FS.ErrnoError(EPIPE);
          throw e;
        }
        return length;
      },
    });
    const path = `/dev/kiln-${d.name}`;
    FS.mkdev(path, fd === 0 ? 0o444 : 0o222, dev);
    const stream = FS.open(path, d.flags);
    if (stream.fd !== fd) throw new Error(`kiln: ${d.name} opened as fd ${stream.fd}`);
  });
  return devices;
}
