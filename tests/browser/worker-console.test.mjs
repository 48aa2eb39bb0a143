// The worker console (issue 16) in a real browser: Debian's Chromium, headless, driven by
// playwright-core. console.html served by `kiln serve` (cross-origin isolated: the page and
// the worker running Python share memory) with runtime/console.html and console.mjs and the
// dist's loader:
//   1. `input()` waits for a line typed into the page and gets it;
//   2. Interrupt stops `while True: pass` within a second, ends a wait for input and an
//      awaiting input, and the console keeps working;
//   3. a file written in the working folder (kept in IndexedDB) is there after a reload, one
//      written elsewhere is not;
//   4. served without the isolation headers, the page says why input() and Interrupt are
//      unavailable, and still runs code in its worker.
//
//   KILN_DIST=dist node --test tests/browser/worker-console.test.mjs
//
// Environment: KILN_DIST (the runtime, default dist/), KILN_LOADER (default: its python.mjs),
// KILN_BIN (default: the newest target/*/kiln), KILN_CHROMIUM (default /usr/bin/chromium).

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";
import { REPO, consoleReady, kilnBinary, kilnServe, launchChromium, runtimeFolder, serve } from "./fixtures.mjs";

const DIST = path.resolve(REPO, process.env.KILN_DIST ?? "dist");
const LOADER = path.resolve(REPO, process.env.KILN_LOADER ?? path.join(DIST, "python.mjs"));
const DIR = path.join(REPO, "target", "browser-tests", "worker-console");

let browser;
let server;

before(async () => {
  assert.ok(fs.existsSync(path.join(DIST, "python.wasm")), `no runtime in ${DIST}: build cpython first`);
  const kiln = kilnBinary();
  assert.ok(kiln, "no kiln binary: cargo build first, or set KILN_BIN");
  runtimeFolder(DIR, { runtimeDir: DIST, loader: LOADER, consolePage: path.join(REPO, "runtime", "console.html") });
  server = await kilnServe(kiln, DIR);
  browser = await launchChromium(chromium);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** A fresh page (its own storage) with the console open and ready; `log` collects its messages. */
async function openConsole(url = server.url) {
  const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  const log = [];
  page.on("console", (message) => log.push(`console.${message.type()}: ${message.text()}`));
  page.on("pageerror", (error) => log.push(`page error: ${error.stack ?? error}`));
  page.on("worker", (worker) => log.push(`worker: ${worker.url()}`));
  await page.goto(new URL("console.html", url).href);
  await consoleReady(page, log);
  return { page, log };
}

/** The output's lines. */
const lines = (page) => page.$eval("#output", (output) => output.textContent.split("\n"));
const errors = (page) => page.$$eval("#output .error", (spans) => spans.map((s) => s.textContent));

/** Puts `code` into the prompt and clicks Run (the run may wait for input). */
async function start(page, code) {
  await page.fill("#code", code);
  await page.click("#run");
}

/** Waits until the console is ready for the next input. */
async function finished(page) {
  await page.waitForFunction(() => !document.getElementById("run").disabled &&
    document.getElementById("status").dataset.state === "ready", null, { timeout: 60_000 });
}

async function runCode(page, code) {
  await start(page, code);
  await finished(page);
}

test("the console runs Python in a worker, and input() gets the line typed into the page", async (t) => {
  const { page, log } = await openConsole();
  try {
    assert.ok(await page.evaluate(() => crossOriginIsolated), "kiln serve isolates the page");
    assert.ok(await page.isHidden("#notice"), await page.textContent("#notice"));
    assert.ok(log.some((line) => line.endsWith("/console.mjs")), `no worker started:\n${log.join("\n")}`);
    // The worker's scope is Python's `js`: no DOM there.
    await runCode(page, "import js; print('worker scope:', hasattr(js, 'importScripts'), hasattr(js, 'document'))");
    assert.ok((await lines(page)).includes("worker scope: True False"), (await lines(page)).join("\n"));

    await start(page, "name = input('Name? ')\nprint(f'Hello, {name}!')");
    await page.waitForSelector("#stdin", { state: "visible" });
    assert.equal(await page.textContent("#status"), "Waiting for input…");
    assert.ok(await page.evaluate(() => document.activeElement.id === "stdin"), "the input field has the focus");
    await page.locator("#stdin").pressSequentially("Ada");
    await page.press("#stdin", "Enter");
    await finished(page);
    const shown = await lines(page);
    assert.ok(shown.includes("Name? Ada"), `the prompt and the typed answer:\n${shown.join("\n")}`);
    assert.ok(shown.includes("Hello, Ada!"), shown.join("\n"));
    assert.ok(await page.isHidden("#stdin"));
    // Several reads: a line at a time, and Ctrl+D ends the input (EOFError).
    await start(page, "import sys\nprint([input(), input()])\nprint(sys.stdin.readline() == '')");
    const echoed = () => page.$$eval("#output .stdin", (spans) => spans.length);
    for (const answer of ["first", "second"]) {
      await page.waitForSelector("#stdin", { state: "visible" });
      const before = await echoed();
      await page.fill("#stdin", answer);
      await page.press("#stdin", "Enter");
      // Sent (and echoed); the field may show again at once for the next input().
      await page.waitForFunction((n) => document.querySelectorAll("#output .stdin").length > n, before);
    }
    await page.waitForSelector("#stdin", { state: "visible" });
    await page.press("#stdin", "Control+d");
    await finished(page);
    assert.ok((await lines(page)).includes("['first', 'second']"), (await lines(page)).join("\n"));
    assert.ok((await lines(page)).includes("True"), "end of input reads as ''");
    assert.deepEqual(await errors(page), [], log.join("\n"));
    t.diagnostic(`boot ${await page.evaluate(() => window.kilnBootMs)} ms (navigation to the prompt)`);
  } finally {
    await page.close();
  }
});

test("Interrupt stops an endless loop within a second, and the console stays usable", async (t) => {
  const { page, log } = await openConsole();
  try {
    await start(page, "while True: pass");
    await page.waitForFunction(() => !document.getElementById("interrupt").disabled);
    await page.waitForTimeout(300); // it really loops
    assert.equal(await page.textContent("#status"), "Running…");
    const clicked = await page.evaluate(() => {
      document.getElementById("interrupt").click();
      return performance.now();
    });
    await page.waitForSelector("#output .error", { timeout: 10_000 });
    const stopped = await page.evaluate(() => performance.now());
    const elapsed = Math.round(stopped - clicked);
    const [error] = await errors(page);
    assert.match(error, /KeyboardInterrupt/, log.join("\n"));
    assert.ok(elapsed < 1000, `the loop stopped ${elapsed} ms after the click`);
    await finished(page);
    assert.ok(await page.isDisabled("#interrupt"), "nothing to interrupt");
    await runCode(page, "print(1+1)");
    assert.ok((await lines(page)).includes("2"), (await lines(page)).join("\n"));
    assert.equal((await errors(page)).length, 1);

    // A wait for input ends with KeyboardInterrupt too.
    await start(page, "input('> ')");
    await page.waitForSelector("#stdin", { state: "visible" });
    await page.click("#interrupt");
    await finished(page);
    assert.match((await errors(page)).at(-1), /KeyboardInterrupt/);
    assert.ok(await page.isHidden("#stdin"));
    // And an input that awaits (no Python code runs to see the signal) is cancelled.
    await start(page, "import asyncio\nawait asyncio.sleep(60)");
    await page.waitForFunction(() => !document.getElementById("interrupt").disabled);
    await page.waitForTimeout(300);
    await page.click("#interrupt");
    await finished(page);
    assert.equal((await errors(page)).at(-1), "KeyboardInterrupt\n");
    await runCode(page, "print(sum(range(10)))");
    assert.ok((await lines(page)).includes("45"), (await lines(page)).join("\n"));
    assert.equal((await errors(page)).length, 3, (await errors(page)).join("\n"));
    t.diagnostic(`while True: pass stopped ${elapsed} ms after the click`);
  } finally {
    await page.close();
  }
});

test("files in the working folder are kept in IndexedDB across a reload", async () => {
  const { page, log } = await openConsole();
  try {
    await runCode(page, [
      "import os",
      "print(os.getcwd())",
      "os.makedirs('notes', exist_ok=True)",
      "with open('notes/kept.txt', 'w') as f: f.write('kept across reloads')",
      "with open('/tmp/gone.txt', 'w') as f: f.write('in memory only')",
    ].join("\n"));
    assert.ok((await lines(page)).includes("/home/web_user"), (await lines(page)).join("\n"));
    await page.reload();
    await consoleReady(page, log);
    await runCode(page, [
      "import os",
      "print(open('/home/web_user/notes/kept.txt').read())",
      "print('gone' if not os.path.exists('/tmp/gone.txt') else 'still there')",
    ].join("\n"));
    const shown = await lines(page);
    assert.ok(shown.includes("kept across reloads"), `${shown.join("\n")}\n${log.join("\n")}`);
    assert.ok(shown.includes("gone"), shown.join("\n"));
    assert.deepEqual(await errors(page), []);
  } finally {
    await page.close();
  }
});

test("without cross-origin isolation the page says why input() and Interrupt are unavailable", async () => {
  const plain = await serve(DIR); // no isolation headers
  const { page, log } = await openConsole(plain.url);
  try {
    assert.equal(await page.evaluate(() => crossOriginIsolated), false);
    const notice = await page.textContent("#notice");
    assert.ok(await page.isVisible("#notice"));
    assert.match(notice, /input\(\) and Interrupt are unavailable: this page is not cross-origin isolated/);
    assert.match(notice, /Cross-Origin-Opener-Policy: same-origin/);
    await start(page, "print(6 * 7)\ninput()");
    await finished(page);
    assert.ok(await page.isDisabled("#interrupt"));
    assert.match(await page.getAttribute("#interrupt", "title"), /^Unavailable/);
    assert.ok((await lines(page)).includes("42"), log.join("\n"));
    assert.match((await errors(page)).at(-1), /EOFError/);
    assert.ok((await lines(page)).some((line) => line.startsWith("input() reads nothing here")));
  } finally {
    await page.close();
    await plain.close();
  }
});
