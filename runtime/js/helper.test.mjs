import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";
import { HELPER_SOURCE, PythonError, decodeAnswer } from "./helper.mjs";

test("the helper's source is runtime/py/_kiln.py", () => {
  assert.equal(HELPER_SOURCE, fs.readFileSync(new URL("../py/_kiln.py", import.meta.url), "utf8"));
});

test("answers become JS values", () => {
  assert.equal(decodeAnswer("none\n"), undefined);
  assert.equal(decodeAnswer("undefined\n"), undefined);
  assert.equal(decodeAnswer("bool\n1"), true);
  assert.equal(decodeAnswer("bool\n"), false);
  assert.equal(decodeAnswer("int\n42"), 42);
  assert.equal(decodeAnswer("int\n-9007199254740991"), -9007199254740991);
  assert.equal(decodeAnswer("int\n9007199254740993"), 9007199254740993n);
  assert.equal(decodeAnswer("float\n0.5"), 0.5);
  assert.equal(decodeAnswer("float\ninf"), Infinity);
  assert.equal(decodeAnswer("float\n-inf"), -Infinity);
  assert.ok(Number.isNaN(decodeAnswer("float\nnan")));
  assert.equal(decodeAnswer("str\na\nb"), "a\nb");
  assert.equal(decodeAnswer("repr\n[1, 2]"), "[1, 2]");
  assert.throws(() => decodeAnswer("what\n"), /unknown answer kind what/);
});

test("an error answer throws PythonError with the traceback and the class name", () => {
  assert.throws(() => decodeAnswer("error\nValueError\nTraceback (most recent call last):\nValueError: x"),
    (error) => error instanceof PythonError && error.name === "PythonError" &&
      error.type === "ValueError" && error.message === "Traceback (most recent call last):\nValueError: x");
});
