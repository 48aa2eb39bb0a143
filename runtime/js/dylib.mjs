// Shared libraries (wasm side modules) a package brings: which libraries each links against by
// name, and loading them all asynchronously before Python imports anything from the package.

import { afterCompilation } from "./wasm.mjs";

// "\0asm": a shared object that is not WebAssembly is left to fail at its import.
const isWasm = (b) =>
  b.length >= 8 && b[0] === 0 && b[1] === 0x61 && b[2] === 0x73 && b[3] === 0x6d;
const baseName = (path) => path.slice(path.lastIndexOf("/") + 1);
// A Python extension module's file name (PEP 3149 tag or the stable ABI's).
const EXTENSION_MODULE = /\.(cpython-[^.]+|abi3)\.so$/;

// Browsers refuse to instantiate a compiled module synchronously on the main thread above a
// size (Chromium: 8 MB), which emscripten's loader does with a module compiled beforehand.
const PRECOMPILE_LIMIT = 8 * 1024 * 1024;

/**
 * Starts compiling a side module now (V8 compiles on other threads), so that compiling a
 * package's modules overlaps with unpacking the rest of it and with each other; emscripten's
 * loader would otherwise compile and instantiate them one after another, the main thread
 * waiting on each. Resolves to the WebAssembly.Module, or to the bytes themselves for what
 * is not WebAssembly, is too large (PRECOMPILE_LIMIT) or does not compile: emscripten's loader
 * then takes them as before and reports the error it meets.
 */
export function compileSideModule(bytes) {
  if (!isWasm(bytes) || bytes.length > PRECOMPILE_LIMIT) return Promise.resolve(bytes);
  return WebAssembly.compile(bytes).catch(() => bytes);
}

/**
 * The libraries a side module links against by name: the WASM_DYLINK_NEEDED list of its
 * `dylink.0` section, which emscripten requires to be the module's first section.
 */
export function neededLibraries(bytes) {
  let at = 8;
  const leb = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[at++];
      value += (byte & 0x7f) * 2 ** shift;
      if (!(byte & 0x80) || at >= bytes.length) return value;
    }
  };
  const text = () => {
    const length = leb();
    at += length;
    return new TextDecoder().decode(bytes.subarray(at - length, at));
  };
  if (bytes[at++] !== 0) return [];
  const size = leb();
  const end = Math.min(at + size, bytes.length);
  if (text() !== "dylink.0") return [];
  const needed = [];
  while (at < end) {
    const type = bytes[at++];
    const next = leb() + at;
    if (type === 2 /* WASM_DYLINK_NEEDED */) for (let n = leb(); n > 0; n--) needed.push(text());
    at = next;
  }
  return needed;
}

/**
 * Loads the shared libraries a package brought, before Python imports anything from it.
 * Every side module is compiled asynchronously (browsers refuse synchronous compiles of large
 * modules on the main thread), all at once (`compiled`, a file's compileSideModule promise if
 * its installation started one, or started here), and instantiated by emscripten's preload
 * plugin for `.so` files, which registers the instance under its path; Python's later dlopen
 * of that path (the import of an extension module) then finds it ready instead of compiling it.
 *
 * Libraries that other modules link against by name (`libfoo.so` in their dylink section) are
 * also put into emscripten's dynamic linker now, under their path and their file name:
 * globally (RTLD_GLOBAL, symbols visible to every later module) for `dynlib` lock entries,
 * locally for a library that ships inside a package. Which is why the runtime must export
 * `loadDynamicLibrary` and `LDSO`.
 */
export async function loadSharedLibraries(Module, files, { global, label, diagnostic }) {
  const modules = files.filter(({ data }) => isWasm(data));
  if (modules.length === 0) return;
  const needed = new Map(modules.map((m) => [m.path, neededLibraries(m.data)]));
  const neededNames = new Set([...needed.values()].flat());
  const isLibrary = (path) => global || neededNames.has(baseName(path)) ||
    (baseName(path).startsWith("lib") && !EXTENSION_MODULE.test(path));
  const libraries = modules.filter((m) => isLibrary(m.path));
  const extensions = modules.filter((m) => !isLibrary(m.path));

  // emscripten 6 has it on FS only; older ones also exported it as FS_createPreloadedFile.
  const createPreloadedFile = Module.FS.createPreloadedFile ?? Module.FS_createPreloadedFile;
  const code = new Map(modules.map((m) => [m.path, m.compiled ?? compileSideModule(m.data)]));
  const preload = async ({ path }) => {
    const data = await code.get(path);
    return new Promise((resolve, reject) => {
      createPreloadedFile(path.slice(0, path.lastIndexOf("/")), baseName(path), data,
        true, true, resolve,
        () => reject(new Error(`kiln: cannot load ${path} from ${label}: ${diagnostic()}`)),
        true /* already written, do not create the file again */);
    });
  };

  if (libraries.length) {
    const { loadDynamicLibrary, LDSO } = Module;
    if (!loadDynamicLibrary || !LDSO) {
      throw new Error(`kiln: ${label} has shared libraries, and this runtime cannot link them: ` +
        "its python.js does not export loadDynamicLibrary and LDSO (EXPORTED_RUNTIME_METHODS)");
    }
    // Dependencies among the package's own libraries first.
    const byName = new Map(libraries.map((m) => [baseName(m.path), m]));
    const ordered = [];
    const visiting = new Set();
    const visit = (m) => {
      if (visiting.has(m)) return; // done, or a cycle
      visiting.add(m);
      for (const name of needed.get(m.path)) if (byName.has(name)) visit(byName.get(name));
      ordered.push(m);
    };
    libraries.forEach(visit);
    for (const library of ordered) {
      await preload(library);
      await loadDynamicLibrary(library.path, { loadAsync: true, global, nodelete: true },
        global ? undefined : {});
      // Dependent modules name it by file name only (the dylink section's NEEDED entry).
      LDSO.loadedLibsByName[baseName(library.path)] ??= LDSO.loadedLibsByName[library.path];
    }
  }
  // The plugin instantiates one module at a time, in the order asked (here: as compiled).
  await Promise.all(extensions.map(preload));
  await afterCompilation();
}
