// The text protocol between the loader and the `_kiln` helper module (runtime/py/_kiln.py):
// JS calls a helper function with one string, and the answer, "<kind>\n<value>", becomes a JS
// value here, or a thrown PythonError. (The JS ⟺ Python bridge will replace this with proxies.)

import { includeText } from "./host.mjs";

/**
 * The source of `_kiln`. In dist/ the bundle step has put the file's text here as a string
 * literal (src/bundle/runtime.rs); run from runtime/, the loader reads it beside its sources.
 */
export const HELPER_SOURCE = await includeText("../py/_kiln.py", import.meta.url);

/** A Python exception that reached JavaScript; `message` is the formatted traceback. */
export class PythonError extends Error {
  constructor(traceback, type) {
    super(traceback);
    this.name = "PythonError";
    this.type = type;
  }
}

/** Turns a "<kind>\n<value>" answer of the helper into a JS value, or throws PythonError. */
export function decodeAnswer(answer) {
  const nl = answer.indexOf("\n");
  const kind = answer.slice(0, nl);
  const value = answer.slice(nl + 1);
  switch (kind) {
    case "none":
    case "undefined":
      return undefined;
    case "bool":
      return value === "1";
    case "str":
    case "repr":
      return value;
    case "int": {
      const n = BigInt(value);
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(n) : n;
    }
    case "float":
      return value === "inf" ? Infinity : value === "-inf" ? -Infinity : Number(value);
    case "error": {
      const eol = value.indexOf("\n");
      throw new PythonError(value.slice(eol + 1), value.slice(0, eol));
    }
  }
  throw new Error(`kiln: unknown answer kind ${kind}`);
}
