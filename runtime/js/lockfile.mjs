// The package index: pyodide-lock.json (Pyodide's format, written by `kiln lock`) indexed by
// normalised name and by the modules each package provides, and the order to load packages in.

/** A package name as the lockfile keys it (PEP 503: lower case, runs of -_. as one -). */
export const normalizeName = (name) => String(name).trim().toLowerCase().replace(/[-_.]+/g, "-");

/** The lockfile, indexed: entries by normalised name, and which package provides an import. */
export function indexLock(json, url) {
  if (!json || typeof json.packages !== "object") {
    throw new Error(`kiln: ${url} is not a package lockfile (no "packages")`);
  }
  const packages = new Map();
  const imports = new Map();
  for (const [key, entry] of Object.entries(json.packages)) {
    const name = normalizeName(key);
    packages.set(name, entry);
    for (const module of entry.imports ?? []) if (!imports.has(module)) imports.set(module, name);
  }
  return { url, info: json.info ?? {}, packages, imports };
}

/**
 * The packages to load for `names`, dependencies first (depth-first over `depends`). A cycle
 * is cut where it closes: such packages then load in an arbitrary order among themselves.
 * A requested name that is no package's may be a module one provides (yaml → pyyaml).
 */
export function resolvePackages(lock, names) {
  const order = [];
  const seen = new Set();
  const visit = (name, dependent) => {
    let key = normalizeName(name);
    if (!dependent && !lock.packages.has(key) && lock.imports.has(name)) {
      key = lock.imports.get(name);
    }
    const entry = lock.packages.get(key);
    if (!entry) {
      throw new Error(dependent
        ? `kiln: package ${dependent} depends on ${name}, which ${lock.url} does not list`
        : `kiln: no package named ${name} in ${lock.url}`);
    }
    if (seen.has(key)) return;
    seen.add(key);
    for (const dep of entry.depends ?? []) visit(dep, key);
    order.push(key);
  };
  for (const name of names) visit(name);
  return order;
}
