// Shared libraries (wasm side modules) a package brings: which libraries each links against by
// name, and loading them all asynchronously before Python imports anything from the package.

// "\0asm": a shared object that is not WebAssembly is left to fail at its import.
const isWasm = (b) =>
  b.length >= 8 && b[0] === 0 && b[1] === 0x61 && b[2] === 0x73 && b[3] === 0x6d;
const baseName = (path) => path.slice(path.lastIndexOf("/") + 1);
// A Python extension module's file name (PEP 3149 tag or the stable ABI's).
const EXTENSION_MODULE = /\.(cpython-[^.]+|abi3)\.so$/;

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
 * Every side module is compiled and instantiated asynchronously (browsers refuse synchronous
 * compiles of large modules on the main thread) by emscripten's preload plugin for `.so`
 * files, which registers the instance under its path; Python's later dlopen of that path
 * (the import of an extension module) then finds it ready instead of compiling it.
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
  const preload = ({ path, data }) => new Promise((resolve, reject) => {
    createPreloadedFile(path.slice(0, path.lastIndexOf("/")), baseName(path), data,
      true, true, resolve,
      () => reject(new Error(`kiln: cannot load ${path} from ${label}: ${diagnostic()}`)),
      true /* already written, do not create the file again */);
  });

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
  // The plugin instantiates one module at a time, in the order asked.
  await Promise.all(extensions.map(preload));
}
