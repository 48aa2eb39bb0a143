// The bridge in a real browser (issue 15): Debian's Chromium, headless, driven by
// playwright-core, on console.html?thread=main (Python in the page, not in the console's
// worker, so `js` is the page's scope). Python builds DOM elements and attaches a Python click
// handler; the test clicks and sees the handler's effect. Then the console as a REPL: a
// multi-line statement typed line by line, top-level `await` of a JS promise, history.
//
//   KILN_DIST=dist node --test tests/browser/dom.test.mjs
//
// Environment: KILN_DIST (the runtime, default dist/), KILN_LOADER (default: its python.mjs),
// KILN_CHROMIUM (default /usr/bin/chromium), KILN_SCREENSHOT_DOM (default
// target/browser-dom.png).

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";
import { REPO, consoleReady, launchChromium, runtimeFolder, serve } from "./fixtures.mjs";

const DIST = path.resolve(REPO, process.env.KILN_DIST ?? "dist");
const LOADER = path.resolve(REPO, process.env.KILN_LOADER ?? path.join(DIST, "python.mjs"));
const SCREENSHOT = path.resolve(REPO, process.env.KILN_SCREENSHOT_DOM ?? "target/browser-dom.png");

let browser;
let server;
let page;
const log = [];

before(async () => {
  assert.ok(fs.existsSync(path.join(DIST, "python.wasm")), `no runtime in ${DIST}: build cpython first`);
  const dir = path.join(REPO, "target", "browser-tests", "dom");
  runtimeFolder(dir, { runtimeDir: DIST, loader: LOADER, consolePage: path.join(REPO, "runtime", "console.html") });
  server = await serve(dir);
  browser = await launchChromium(chromium);
  page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  page.on("console", (message) => log.push(`console.${message.type()}: ${message.text()}`));
  page.on("pageerror", (error) => log.push(`page error: ${error.stack ?? error}`));
  await page.goto(new URL("console.html?thread=main", server.url).href);
  await consoleReady(page, log);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Runs `code` with the Run button; waits until the console is ready again. */
async function runCode(code) {
  await page.fill("#code", code);
  await page.click("#run");
  await page.waitForFunction(() => !document.getElementById("run").disabled &&
    document.getElementById("status").dataset.state === "ready");
}

const errors = () => page.$$eval("#output .error", (spans) => spans.map((s) => s.textContent));

test("Python builds DOM elements and handles their clicks", async () => {
  await runCode(`
from js import document
from pyodide.ffi import create_proxy

playground = document.getElementById("playground")
button = document.createElement("button")
button.id = "py-button"
button.textContent = "Click me"
count = document.createElement("output")
count.id = "py-count"
count.textContent = "0"

def on_click(event):
    clicks = int(count.textContent) + 1
    count.textContent = str(clicks)
    event.target.textContent = f"Clicked {clicks} times"
    event.target.dataset.lastEvent = event.type

handler = create_proxy(on_click)
button.addEventListener("click", handler)
playground.append(button, count)
print("built", playground.children.length, "elements")
`);
  assert.deepEqual(await errors(), [], log.join("\n"));
  assert.equal(await page.textContent("#py-count"), "0");
  await page.click("#py-button");
  await page.click("#py-button");
  assert.equal(await page.textContent("#py-count"), "2");
  assert.equal(await page.textContent("#py-button"), "Clicked 2 times");
  assert.equal(await page.getAttribute("#py-button", "data-last-event"), "click");
  // Python sees the page's state too, and can let the handler go.
  await runCode("print('count is', count.textContent)\nbutton.removeEventListener('click', handler)\nhandler.destroy()");
  await page.click("#py-button");
  assert.equal(await page.textContent("#py-count"), "2", "the handler was removed");
  const lines = await page.$$eval("#output span:not(.input)", (spans) => spans.map((s) => s.textContent.trim()));
  assert.ok(lines.includes("built 2 elements") && lines.includes("count is 2"), lines.join("\n"));
  fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT });
});

test("the console is a REPL: multi-line input, top-level await, history", async () => {
  const code = page.locator("#code");
  await page.fill("#code", "");
  // A compound statement: Enter adds lines (indented) until an empty line ends it.
  await code.pressSequentially("def twice(x):");
  await code.press("Enter");
  assert.equal(await page.inputValue("#code"), "def twice(x):\n    ", "continued and indented");
  await code.pressSequentially("return 2 * x");
  await code.press("Enter");
  await code.press("Enter");
  // Enter runs an input only while no other input runs (it adds a line otherwise): wait for
  // the definition to finish before typing the next one.
  const idle = () => page.waitForFunction(() => !document.getElementById("run").disabled);
  await page.waitForFunction(() => document.getElementById("code").value === "");
  await idle();
  await code.pressSequentially("twice(21)");
  await code.press("Enter");
  await page.waitForFunction(() => document.getElementById("output").textContent.split("\n").includes("42"));
  await idle();
  // Top-level await of a JS promise; the value shows as Python's repr.
  await code.pressSequentially("from js import Promise; await Promise.resolve('awaited')");
  await code.press("Enter");
  await page.waitForFunction(() => document.getElementById("output").textContent.split("\n").includes("'awaited'"));
  // History: ↑ recalls the last input, ↑↑ the one before.
  await idle();
  await code.press("ArrowUp");
  assert.equal(await page.inputValue("#code"), "from js import Promise; await Promise.resolve('awaited')");
  await code.press("ArrowUp");
  assert.equal(await page.inputValue("#code"), "twice(21)");
  await code.press("ArrowDown");
  await code.press("ArrowDown");
  assert.equal(await page.inputValue("#code"), "");
  // A Python error shows as its traceback.
  await code.pressSequentially("1/0");
  await code.press("Enter");
  await page.waitForSelector("#output .error");
  assert.match((await errors()).join("\n"), /ZeroDivisionError: division by zero/);
});
