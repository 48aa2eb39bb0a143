// Wheel tags: which wheels this runtime can load. A wheel's file name ends in
// `-{python tag}-{abi tag}-{platform tag}.whl` (PEP 427); the runtime loads pure wheels and
// wheels of its own platform (PEP 783's `pyemscripten_YYYY_P_wasm32`) built for its Python.

import { PLATFORM_TAG, PYTHON_VERSION } from "./layout.mjs";

/** The name, version and tags of a wheel's file name, or null if it is not one. */
export function parseWheelName(fileName) {
  const base = fileName.split(/[/\\]/).pop();
  const match = /^([^-]+)-([^-]+)(?:-[0-9][^-]*)?-([^-]+)-([^-]+)-([^-]+)\.whl$/.exec(base);
  if (!match) return null;
  const [, name, version, python, abi, platform] = match;
  return { name, version, python, abi, platform, fileName: base };
}

/**
 * Why this runtime cannot load the wheel `fileName`, or null when it can. The reason names
 * the wheel, its tag and the runtime's.
 *   runtime  { python: "3.15", platform: "pyemscripten_2026_5_wasm32" } (default: this build's)
 */
export function incompatibility(fileName, runtime = { python: PYTHON_VERSION, platform: PLATFORM_TAG }) {
  const wheel = parseWheelName(fileName);
  if (!wheel) return `${fileName} is not a wheel file name (name-version-python-abi-platform.whl)`;
  const platforms = wheel.platform.split(".");
  if (!platforms.includes("any") && !platforms.includes(runtime.platform)) {
    return `${wheel.fileName} is built for platform ${wheel.platform}, ` +
      `but this runtime is ${runtime.platform}`;
  }
  const [major, minor] = runtime.python.split(".").map(Number);
  const fits = (tag) => {
    const m = /^(cp|py)(\d)(\d*)$/.exec(tag);
    if (!m) return false;
    const [, kind, tagMajor, tagMinor] = m;
    if (Number(tagMajor) !== major) return false;
    if (tagMinor === "") return kind === "py";
    if (kind === "py") return Number(tagMinor) <= minor;
    // cpXY: exactly this Python, or any older one for the stable ABI.
    return wheel.abi === "abi3" ? Number(tagMinor) <= minor : Number(tagMinor) === minor;
  };
  if (!wheel.python.split(".").some(fits)) {
    return `${wheel.fileName} is built for Python ${wheel.python}-${wheel.abi}, ` +
      `but this runtime is cp${major}${minor} on ${runtime.platform}`;
  }
  return null;
}
