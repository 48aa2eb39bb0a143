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
 * What a side module's `dylink.0` section (emscripten requires it to be the first) says about
 * linking it: `needed`, the libraries it links against by name (WASM_DYLINK_NEEDED), and
 * `weak`, the names of its weak imports (WASM_DYLINK_IMPORT_INFO), which the loader resolves
 * to 0 when nothing defines them.
 */
export function dylinkInfo(bytes) {
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
  const info = { needed: [], weak: new Set() };
  if (bytes[at++] !== 0) return info;
  const size = leb();
  const end = Math.min(at + size, bytes.length);
  if (text() !== "dylink.0") return info;
  while (at < end) {
    const type = bytes[at++];
    const next = leb() + at;
    if (type === 2 /* WASM_DYLINK_NEEDED */) {
      for (let n = leb(); n > 0; n--) info.needed.push(text());
    } else if (type === 4 /* WASM_DYLINK_IMPORT_INFO */) {
      for (let n = leb(); n > 0; n--) {
        text(); // module
        const field = text();
        if (leb() & 1 /* WASM_SYMBOL_BINDING_WEAK */) info.weak.add(field);
      }
    }
    at = next;
  }
  return info;
}

/** The libraries a side module links against by name (see dylinkInfo). */
export const neededLibraries = (bytes) => dylinkInfo(bytes).needed;

// Imports emscripten's loader answers for every side module itself (memory and table, the
// stack pointer, where the module's data and table slots went).
const LOADER_PROVIDED = new Set([
  "memory", "__indirect_function_table", "__stack_pointer", "__memory_base", "__table_base",
]);
const SYMBOL_MODULES = new Set(["env", "GOT.mem", "GOT.func", "wasi_snapshot_preview1"]);

/**
 * A slim runtime's interpreter exports only what its distribution's side modules import
 * (docs/size.md), so a wheel from elsewhere may import a symbol nothing defines; emscripten
 * would load it and fail at the first call, or at instantiation with an opaque LinkError.
 * This refuses such a package before anything of it is installed: each side module's imports
 * (not weak ones) must be defined by the interpreter or a library loaded globally (the
 * dynamic linker's symbols, `LDSO`) or by the package's own side modules. `files` as for
 * loadSharedLibraries, with their compilations; what does not compile is left to the loader.
 */
export async function refuseMissingSymbols(Module, files, label) {
  const modules = files.filter(({ data }) => isWasm(data));
  const compiled = await Promise.all(modules.map((m) => m.compiled ?? compileSideModule(m.data)));
  const defined = new Set();
  for (const dso of Object.values(Module.LDSO?.loadedLibsByName ?? {})) {
    if (dso.global && dso.exports && typeof dso.exports === "object") {
      for (const name of Object.keys(dso.exports)) defined.add(name);
    }
  }
  for (const module of compiled) {
    if (!(module instanceof WebAssembly.Module)) continue;
    for (const { name } of WebAssembly.Module.exports(module)) defined.add(name);
  }
  const problems = [];
  modules.forEach(({ path, data }, i) => {
    if (!(compiled[i] instanceof WebAssembly.Module)) return;
    const { weak } = dylinkInfo(data);
    const missing = new Set();
    for (const { module, name } of WebAssembly.Module.imports(compiled[i])) {
      if (!SYMBOL_MODULES.has(module) || LOADER_PROVIDED.has(name) || weak.has(name)) continue;
      if (!defined.has(name)) missing.add(name);
    }
    if (missing.size) {
      const names = [...missing].sort();
      const shown = names.slice(0, 8).join(", ") + (names.length > 8 ? `, and ${names.length - 8} more` : "");
      problems.push(`${baseName(path)} imports ${names.length} symbol(s) it does not export: ${shown}`);
    }
  });
  if (problems.length) {
    throw new Error(`kiln: cannot load ${label}: this runtime is the slim variant, whose ` +
      "interpreter exports only what its distribution's packages import, and " +
      `${problems.join("; ")}. Put the package in the distribution and make the slim runtime ` +
      "again (`kiln build-recipes … --install --slim`), or use the full runtime");
  }
}

/**
 * Loads the shared libraries a package brought, before Python imports anything from it.
 * Every side module is compiled asynchronously (browsers refuse synchronous compiles of large
 * modules on the main thread), all at once (`compiled`, a file's compileSideModule promise if
 * its installation started one, or started here).
 *
 * Extension modules are not instantiated here: Python's dlopen of the file, when it imports
 * the module, instantiates the compiled module (deferToDlopen), so that their static
 * constructors run then, as on other platforms: inside the interpreter that imports them,
 * with the GIL held. C++ extensions may call the C API from a constructor (Matplotlib's
 * `ft2font`, through pybind11, makes Python objects); run while loading, before Python
 * started, such a constructor waited for a GIL that nobody would ever release (issue 17).
 * What did not compile (not WebAssembly, over PRECOMPILE_LIMIT, invalid) is still handed to
 * emscripten's preload plugin for `.so` files as bytes, which instantiates it now and
 * registers the instance under its path for that dlopen, or reports the error it meets.
 *
 * Libraries that other modules link against by name (`libfoo.so` in their dylink section) are
 * put into emscripten's dynamic linker now, under their path and their file name: globally
 * (RTLD_GLOBAL, symbols visible to every later module) for `dynlib` lock entries, locally for a
 * library that ships inside a package. Which is why the runtime must export
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
  await Promise.all(extensions.map(async (extension) => {
    const compiled = await code.get(extension.path);
    if (!(compiled instanceof WebAssembly.Module) || !deferToDlopen(Module, extension.path, compiled)) {
      // The plugin instantiates one module at a time, in the order asked (here: as compiled).
      await preload(extension);
    }
  }));
  await afterCompilation();
}

/**
 * Leaves the compiled extension module at `path` for Python's dlopen to instantiate, which it
 * does when Python imports the module. emscripten's dynamic linker looks a library up in
 * `LDSO.loadedLibsByName` by path before anything else, and takes an entry there as loaded:
 * so the entry put there is a placeholder whose `exports`, which the linker reads during
 * dlopen (into the importing module's scope), are made on first reading, by linking the
 * compiled module with emscripten's own `loadDynamicLibrary`. That reads the file with
 * FS.readFile (whose bytes it would compile synchronously), so for that one synchronous call
 * FS.readFile answers the path with the compiled module, which the linker instantiates as
 * well. libc's dlopen also reads the file into memory first, as it does for every library.
 * Returns false when the runtime does not export `LDSO` and `loadDynamicLibrary` (the caller
 * preloads the module instead).
 */
function deferToDlopen(Module, path, compiled) {
  const { FS, LDSO, loadDynamicLibrary } = Module;
  if (!LDSO?.loadedLibsByName || !loadDynamicLibrary) return false;
  let exports;
  const placeholder = {
    name: path,
    global: false,
    refcount: Infinity, // nodelete, as the preload made it
    get exports() {
      if (exports) return exports;
      if (LDSO.loadedLibsByName[path] === placeholder) delete LDSO.loadedLibsByName[path];
      const readFile = FS.readFile;
      FS.readFile = (file, options) => file === path ? compiled : readFile.call(FS, file, options);
      try {
        loadDynamicLibrary(path, { global: false, nodelete: true }, {});
      } finally {
        FS.readFile = readFile;
      }
      exports = LDSO.loadedLibsByName[path].exports;
      return exports;
    },
  };
  LDSO.loadedLibsByName[path] = placeholder;
  return true;
}
