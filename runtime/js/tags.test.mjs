import assert from "node:assert/strict";
import { test } from "node:test";
import { incompatibility, parseWheelName } from "./tags.mjs";

const runtime = { python: "3.15", platform: "pyemscripten_2026_5_wasm32" };

test("wheel file names are split into name, version and tags", () => {
  assert.deepEqual(parseWheelName("https://x/y/librt-0.17.0-cp315-cp315-pyemscripten_2026_5_wasm32.whl"), {
    name: "librt", version: "0.17.0", python: "cp315", abi: "cp315",
    platform: "pyemscripten_2026_5_wasm32", fileName: "librt-0.17.0-cp315-cp315-pyemscripten_2026_5_wasm32.whl",
  });
  assert.equal(parseWheelName("pkg-1.0-2-py3-none-any.whl").version, "1.0");
  assert.equal(parseWheelName("notawheel.zip"), null);
});

test("pure wheels and wheels of the runtime's platform and Python load", () => {
  for (const name of [
    "six-1.17.0-py2.py3-none-any.whl",
    "librt-0.17.0-cp315-cp315-pyemscripten_2026_5_wasm32.whl",
    "ext-1.0-cp39-abi3-pyemscripten_2026_5_wasm32.whl",
    "pure-1.0-py315-none-any.whl",
  ]) assert.equal(incompatibility(name, runtime), null, name);
});

test("another platform or Python is refused naming both tags", () => {
  assert.equal(
    incompatibility("old-1.0-cp313-cp313-emscripten_3_1_69_wasm32.whl", runtime),
    "old-1.0-cp313-cp313-emscripten_3_1_69_wasm32.whl is built for platform " +
      "emscripten_3_1_69_wasm32, but this runtime is pyemscripten_2026_5_wasm32");
  assert.equal(
    incompatibility("x-1.0-cp314-cp314-pyemscripten_2026_5_wasm32.whl", runtime),
    "x-1.0-cp314-cp314-pyemscripten_2026_5_wasm32.whl is built for Python cp314-cp314, " +
      "but this runtime is cp315 on pyemscripten_2026_5_wasm32");
  assert.match(incompatibility("x-1.0-cp316-abi3-pyemscripten_2026_5_wasm32.whl", runtime), /Python cp316-abi3/);
  assert.match(incompatibility("x-1.0-py2-none-any.whl", runtime), /Python py2-none/);
  assert.match(incompatibility("x-1.0-cp315-cp315-manylinux_2_17_x86_64.whl", runtime), /platform manylinux/);
});
