// The interpreter's wasm in browsers: its download starts with the boot, beside python.js and
// the stdlib rather than after them, and it is compiled while it downloads
// (WebAssembly.compileStreaming, which needs the `application/wasm` MIME type; without it the
// bytes are compiled once they are all in). emscripten's glue asks for the instance through
// its `instantiateWasm` hook. Node reads the file and lets the glue compile it.

/**
 * Starts fetching and compiling `url`. Returns `instantiateWasm`, emscripten's hook, and
 * `failure`, a promise that rejects when the wasm cannot be had (the hook alone would leave
 * emscripten waiting for ever).
 */
export function streamWasm(url, fetchImpl = globalThis.fetch) {
  const compiled = (async () => {
    const response = fetchImpl(url, { credentials: "same-origin" });
    try {
      return await WebAssembly.compileStreaming(response);
    } catch {
      // A server that sends another MIME type: compile the bytes instead.
      const again = await fetchImpl(url, { credentials: "same-origin" });
      if (!again.ok) throw new Error(`kiln: cannot load ${url}: HTTP ${again.status}`);
      return WebAssembly.compile(await again.arrayBuffer());
    }
  })();
  let fail;
  const failure = new Promise((_, reject) => { fail = reject; });
  failure.catch(() => {});
  return {
    failure,
    instantiateWasm(imports, receive) {
      compiled
        .then((module) => WebAssembly.instantiate(module, imports)
          .then((instance) => receive(instance, module)))
        .catch(fail);
      return {};
    },
  };
}

/**
 * One turn of the event loop, to be taken right after an asynchronous WebAssembly compilation
 * (the interpreter's, a package's side modules). V8 finishes such a compilation with a task on
 * the main thread, and when that task's turn came only after a long synchronous stretch (the
 * first runPython, which starts Python), the main thread sat idle 70-600 ms in it: measured in
 * Node 20 on the 2-core host, and 1.5 s with `--no-wasm-dynamic-tiering`, so it waits for the
 * optimising compilations queued meanwhile. Taken at once, the turn costs under a millisecond.
 */
export const afterCompilation = () => new Promise((resolve) => setTimeout(resolve, 0));
