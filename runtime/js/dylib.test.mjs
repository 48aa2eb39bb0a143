import assert from "node:assert/strict";
import { test } from "node:test";
import { compileSideModule, loadSharedLibraries, neededLibraries } from "./dylib.mjs";
import { mockFactory } from "./testing/emscripten.mjs";

/** A side module's first bytes: a `dylink.0` section with memory info and NEEDED names. */
function sideModule(...needed) {
  const text = (s) => [s.length, ...new TextEncoder().encode(s)];
  const memInfo = [1, 4, 0, 0, 0, 0];
  const neededSection = [2, ...(() => {
    const body = [needed.length, ...needed.flatMap(text)];
    return [body.length, ...body];
  })()];
  const body = [...text("dylink.0"), ...memInfo, ...neededSection];
  return new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0, body.length, ...body]);
}

test("the libraries a side module needs come from its dylink.0 section", () => {
  assert.deepEqual(neededLibraries(sideModule("libfoo.so", "libbar.so")), ["libfoo.so", "libbar.so"]);
  assert.deepEqual(neededLibraries(sideModule()), []);
  // A module without the section first (a plain wasm module) needs nothing we know of.
  assert.deepEqual(neededLibraries(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 0])), []);
});

test("libraries load first, in dependency order, then extension modules are preloaded", async () => {
  const Module = await mockFactory()({});
  const files = [
    { path: "/sp/pkg/_ext.cpython-315-wasm32-emscripten.so", data: sideModule("liba.so") },
    { path: "/sp/pkg/liba.so", data: sideModule("libb.so") },
    { path: "/sp/pkg/libb.so", data: sideModule() },
    { path: "/sp/pkg/notwasm.so", data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) },
  ];
  await loadSharedLibraries(Module, files, { global: false, label: "package pkg", diagnostic: () => "" });
  assert.deepEqual(Module.dynamicLibraries, [
    { path: "/sp/pkg/libb.so", global: false, local: true },
    { path: "/sp/pkg/liba.so", global: false, local: true },
  ]);
  assert.deepEqual(Module.preloaded,
    ["/sp/pkg/libb.so", "/sp/pkg/liba.so", "/sp/pkg/_ext.cpython-315-wasm32-emscripten.so"]);
  // Dependents find a library by file name.
  assert.ok(Module.LDSO.loadedLibsByName["liba.so"]);
});

test("a dynlib entry's libraries are global; failures name the file and the diagnostic", async () => {
  const Module = await mockFactory({ fail: new Set(["/usr/local/lib/libz.so"]) })({});
  const files = [{ path: "/usr/local/lib/libz.so", data: sideModule() }];
  await assert.rejects(
    loadSharedLibraries(Module, files, { global: true, label: "package z", diagnostic: () => "bad magic" }),
    /^Error: kiln: cannot load \/usr\/local\/lib\/libz\.so from package z: bad magic$/);
  const bare = await mockFactory()({});
  delete bare.loadDynamicLibrary;
  await assert.rejects(loadSharedLibraries(bare, files, { global: true, label: "package z", diagnostic: () => "" }),
    /package z has shared libraries, and this runtime cannot link them/);
});

test("side modules are compiled before the preload, all at once; what does not compile is passed as it is", async () => {
  const Module = await mockFactory()({});
  const valid = sideModule();
  const broken = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 99]);
  const started = compileSideModule(valid);
  const files = [
    { path: "/sp/pkg/_a.cpython-315-wasm32-emscripten.so", data: valid, compiled: started },
    { path: "/sp/pkg/_b.cpython-315-wasm32-emscripten.so", data: valid },
    { path: "/sp/pkg/_c.cpython-315-wasm32-emscripten.so", data: broken },
  ];
  await loadSharedLibraries(Module, files, { global: false, label: "package pkg", diagnostic: () => "" });
  const given = Object.fromEntries(Module.preloaded.map((path, i) => [path.split("/").pop(), Module.preloadedData[i]]));
  assert.equal(given["_a.cpython-315-wasm32-emscripten.so"], await started, "the compilation the installation started");
  assert.ok(given["_b.cpython-315-wasm32-emscripten.so"] instanceof WebAssembly.Module);
  assert.equal(given["_c.cpython-315-wasm32-emscripten.so"], broken);
  assert.equal(await compileSideModule(new Uint8Array([1, 2, 3])).then((x) => x.length), 3);
});
