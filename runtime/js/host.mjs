// The host the loader runs on (Node or a browser), and how it reads the bundle's files: from
// the file system for file: URLs in Node, with fetch everywhere else.

export const IS_NODE =
  typeof process === "object" && typeof process.versions?.node === "string" &&
  typeof window === "undefined";

/** An absolute URL string for a URL (relative ones against the page) or, in Node, a path. */
export async function toURL(location) {
  const text = String(location);
  if (IS_NODE && !/^[a-z][a-z0-9+.-]*:/i.test(text)) {
    const { pathToFileURL } = await import("node:url");
    return pathToFileURL(text).href;
  }
  return new URL(text, globalThis.location?.href).href;
}

/**
 * Where the bundle's files are: a URL string ending in "/". Default: the folder of
 * `moduleURL`, the `import.meta.url` of the loader's entry module (python.mjs).
 */
export async function resolveIndexURL(indexURL, moduleURL) {
  if (indexURL === undefined) return new URL(".", moduleURL).href;
  const url = await toURL(indexURL);
  return url.endsWith("/") ? url : url + "/";
}

/** The bytes at a URL: from the file system for file: URLs in Node, else with fetch. */
export async function readURL(url) {
  url = new URL(url);
  if (IS_NODE && url.protocol === "file:") {
    const { readFile } = await import("node:fs/promises");
    try {
      return new Uint8Array(await readFile(url));
    } catch (e) {
      throw Object.assign(new Error(`kiln: cannot read ${url.pathname}: ${e.message}`),
        { notFound: e.code === "ENOENT" });
    }
  }
  const response = await fetch(url);
  if (!response.ok) {
    throw Object.assign(new Error(`kiln: cannot load ${url}: HTTP ${response.status}`),
      { notFound: response.status === 404 });
  }
  return new Uint8Array(await response.arrayBuffer());
}

export const readBundleFile = (indexURL, name) => readURL(new URL(name, indexURL));

/**
 * A text file of the runtime's sources, at `path` relative to the module at `moduleURL`. Only
 * the sources call this: the bundle step puts each such file's text in place of the call.
 */
export async function includeText(path, moduleURL) {
  return new TextDecoder().decode(await readURL(new URL(path, moduleURL)));
}
