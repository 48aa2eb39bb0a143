// Prints, one per line and sorted, the symbols a side module can import from the interpreter:
// the wasm module's exports plus the JS-implemented functions it imports from "env" (those
// come from emscripten's JS library, which the loader also offers to side modules).
import { readFileSync } from "node:fs";

const mod = new WebAssembly.Module(readFileSync(process.argv[2]));
const names = new Set();
for (const { name } of WebAssembly.Module.exports(mod)) names.add(name);
for (const { module, name, kind } of WebAssembly.Module.imports(mod)) {
  if (module === "env" && kind === "function") names.add(name);
}
process.stdout.write([...names].sort().join("\n") + "\n");
