import assert from "node:assert/strict";
import { test } from "node:test";
import { compileSideModule, dylinkInfo, loadSharedLibraries, neededLibraries, refuseMissingSymbols } from "./dylib.mjs";
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

test("libraries load first, in dependency order; extension modules wait for dlopen", async () => {
  const Module = await mockFactory()({});
  const files = [
    { path: "/sp/pkg/_ext.cpython-315-wasm32-emscripten.so", data: sideModule("liba.so") },
    { path: "/sp/pkg/liba.so", data: sideModule("libb.so") },
    { path: "/sp/pkg/libb.so", data: sideModule() },
    { path: "/sp/pkg/notwasm.so", data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) },
  ];
  for (const { path, data } of files) Module.FS.writeFile(path, data);
  await loadSharedLibraries(Module, files, { global: false, label: "package pkg", diagnostic: () => "" });
  assert.deepEqual(Module.dynamicLibraries, [
    { path: "/sp/pkg/libb.so", global: false, local: true },
    { path: "/sp/pkg/liba.so", global: false, local: true },
  ]);
  assert.deepEqual(Module.preloaded, ["/sp/pkg/libb.so", "/sp/pkg/liba.so"]);
  // Dependents find a library by file name.
  assert.ok(Module.LDSO.loadedLibsByName["liba.so"]);
  // The extension module is not instantiated (its static constructors may call Python, which
  // may not be running yet): the dynamic linker finds an entry under its path whose exports
  // are made when dlopen reads them, from the compiled module, not from the file's bytes.
  const ext = "/sp/pkg/_ext.cpython-315-wasm32-emscripten.so";
  const entry = Module.LDSO.loadedLibsByName[ext];
  assert.equal(Module.dynamicLibraries.length, 2, "nothing linked before dlopen asks");
  const { exports } = entry;
  assert.ok(exports.data instanceof WebAssembly.Module, "linked from the compiled module");
  assert.deepEqual(Module.dynamicLibraries[2], { path: ext, global: false, local: true });
  assert.equal(entry.exports, exports, "linked once");
  assert.equal(Module.dynamicLibraries.length, 3);
  // Only that read was answered with the module: the file reads as bytes again.
  assert.equal(Module.FS.readFile(ext, { encoding: "binary" }), files[0].data);
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

test("side modules are compiled at once; what does not compile is preloaded as it is", async () => {
  const Module = await mockFactory()({});
  const valid = sideModule();
  const broken = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 99]);
  const started = compileSideModule(valid);
  const files = [
    { path: "/sp/pkg/_a.cpython-315-wasm32-emscripten.so", data: valid, compiled: started },
    { path: "/sp/pkg/_b.cpython-315-wasm32-emscripten.so", data: valid },
    { path: "/sp/pkg/_c.cpython-315-wasm32-emscripten.so", data: broken },
  ];
  for (const { path, data } of files) Module.FS.writeFile(path, data);
  await loadSharedLibraries(Module, files, { global: false, label: "package pkg", diagnostic: () => "" });
  const linked = (name) => Module.LDSO.loadedLibsByName[`/sp/pkg/${name}`].exports.data;
  assert.equal(linked("_a.cpython-315-wasm32-emscripten.so"), await started, "the compilation the installation started");
  assert.ok(linked("_b.cpython-315-wasm32-emscripten.so") instanceof WebAssembly.Module);
  assert.deepEqual(Module.preloaded, ["/sp/pkg/_c.cpython-315-wasm32-emscripten.so"]);
  assert.equal(Module.preloadedData[0], broken);
  assert.equal(await compileSideModule(new Uint8Array([1, 2, 3])).then((x) => x.length), 3);
});

/**
 * A side module that imports `imports` ([module, name, "func" | "global"]) and exports one
 * function per name of `exports`, with `weak` names marked weak in its dylink.0 section.
 */
function linkedModule({ imports = [], exports = [], weak = [] }) {
  const text = (s) => [s.length, ...new TextEncoder().encode(s)];
  const section = (id, body) => [id, body.length, ...body];
  const importInfo = weak.length
    ? [4, ...(() => {
      const body = [weak.length, ...weak.flatMap((name) => [...text("env"), ...text(name), 1])];
      return [body.length, ...body];
    })()]
    : [];
  const dylink = [...text("dylink.0"), 1, 4, 0, 0, 0, 0, ...importInfo];
  const importBody = [imports.length, ...imports.flatMap(([module, name, kind]) =>
    [...text(module), ...text(name), ...(kind === "func" ? [0, 0] : [3, 0x7f, 1])])];
  const functions = imports.filter(([, , kind]) => kind === "func").length;
  const bytes = [
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(0, dylink),
    ...section(1, [1, 0x60, 0, 0]),
    ...section(2, importBody),
    ...section(3, [exports.length, ...exports.map(() => 0)]),
    ...section(7, [exports.length, ...exports.flatMap((name, i) => [...text(name), 0, functions + i])]),
    ...section(10, [exports.length, ...exports.flatMap(() => [2, 0, 0x0b])]),
  ];
  return new Uint8Array(bytes);
}

test("the dylink section's weak imports are read with its needed libraries", () => {
  const info = dylinkInfo(linkedModule({ weak: ["hook"] }));
  assert.deepEqual([...info.weak], ["hook"]);
  assert.deepEqual(info.needed, []);
});

test("a slim runtime refuses a package importing what nothing exports, naming the symbols", async () => {
  const Module = await mockFactory()({});
  Module.LDSO.loadedLibsByName = {
    __main__: { global: true, exports: { PyLong_FromLong() {}, _Py_NoneStruct: 8 } },
    "libhidden.so": { global: false, exports: { hidden() {} } },
  };
  const good = [
    { path: "/sp/pkg/_a.cpython-315-wasm32-emscripten.so", data: linkedModule({
      imports: [["env", "memory", "global"], ["env", "PyLong_FromLong", "func"],
        ["GOT.mem", "_Py_NoneStruct", "global"], ["env", "helper", "func"], ["env", "hook", "func"]],
      weak: ["hook"],
    }) },
    { path: "/sp/pkg/libhelper.so", data: linkedModule({ exports: ["helper"] }) },
  ];
  await refuseMissingSymbols(Module, good, "package pkg");
  const bad = [{ path: "/sp/other/_b.cpython-315-wasm32-emscripten.so", data: linkedModule({
    imports: [["env", "PyLong_FromLong", "func"], ["env", "hidden", "func"], ["GOT.func", "PyNumber_Add", "global"]],
  }) }];
  await assert.rejects(refuseMissingSymbols(Module, bad, "package other"), (error) => {
    assert.match(error.message, /^kiln: cannot load package other: this runtime is the slim variant/);
    assert.match(error.message, /_b\.cpython-315-wasm32-emscripten\.so imports 2 symbol\(s\) it does not export: PyNumber_Add, hidden\./);
    return true;
  });
});
