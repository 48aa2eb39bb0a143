import assert from "node:assert/strict";
import { test } from "node:test";
import { indexLock, normalizeName, resolvePackages } from "./lockfile.mjs";

const lock = indexLock({
  info: { arch: "wasm32" },
  packages: {
    pyyaml: { imports: ["yaml", "_yaml"], depends: [] },
    "Foo.Bar": { imports: ["foobar"], depends: ["PyYAML"] },
    a: { imports: ["a"], depends: ["b"] },
    b: { imports: ["b"], depends: ["a", "pyyaml"] },
    broken: { imports: [], depends: ["ghost"] },
  },
}, "file:///dist/pyodide-lock.json");

test("names are normalised as PEP 503 says", () => {
  assert.equal(normalizeName(" Foo.Bar__baz-"), "foo-bar-baz-");
  assert.equal(normalizeName("PyYAML"), "pyyaml");
});

test("the lockfile is indexed by normalised name and by import", () => {
  assert.deepEqual([...lock.packages.keys()], ["pyyaml", "foo-bar", "a", "b", "broken"]);
  assert.equal(lock.imports.get("yaml"), "pyyaml");
  assert.equal(lock.imports.get("foobar"), "foo-bar");
  assert.deepEqual(lock.info, { arch: "wasm32" });
  assert.throws(() => indexLock({}, "x.json"), /x\.json is not a package lockfile \(no "packages"\)/);
});

test("packages resolve dependencies first; a module name stands for its package", () => {
  assert.deepEqual(resolvePackages(lock, ["foo_bar"]), ["pyyaml", "foo-bar"]);
  assert.deepEqual(resolvePackages(lock, ["yaml", "pyyaml"]), ["pyyaml"]);
  // A cycle is cut where it closes.
  assert.deepEqual(resolvePackages(lock, ["a"]), ["pyyaml", "b", "a"]);
});

test("unknown packages and dependencies are errors naming the lockfile", () => {
  assert.throws(() => resolvePackages(lock, ["nope"]),
    /^Error: kiln: no package named nope in file:\/\/\/dist\/pyodide-lock\.json$/);
  assert.throws(() => resolvePackages(lock, ["broken"]),
    /kiln: package broken depends on ghost, which file:\/\/\/dist\/pyodide-lock\.json does not list/);
});
