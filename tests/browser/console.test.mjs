// console.html in a real browser: Debian's Chromium, headless, driven by playwright-core.
//
//   cd tests/browser && npm ci && cd ../.. && node --test tests/browser/
//
// 1. kiln's numpy: opens console.html from the dist folder, types
//    `import numpy; print(numpy.arange(6).reshape(2,3).sum())`, clicks Run and expects `15`
//    (skipped when the dist's pyodide-lock.json has no numpy yet). Python runs in the
//    console's worker.
// 2. Test packages made on the spot (a C extension, a shared library package), with the
//    loader (the dist's) and the console page from runtime/: the same path through the
//    browser without numpy, with Python in the page (console.html?thread=main), where
//    Chromium refuses synchronous compiles of large side modules: none may happen.
//
// Environment:
//   KILN_DIST        the distribution folder (default dist/)
//   KILN_SERVE_URL   a server already serving it (`kiln serve`); default: one started here
//   KILN_SCREENSHOT  where the numpy run's screenshot goes (default target/browser-console.png)
//   KILN_CHROMIUM    the browser (default /usr/bin/chromium, Debian's package `chromium`)
//   KILN_BIN, KILN_LOADER: as for loader.test.mjs

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";
import { REPO, kilnBinary, launchChromium, makeFixtureDist, serve } from "./fixtures.mjs";

const DIST = path.resolve(REPO, process.env.KILN_DIST ?? "dist");
const LOADER = path.resolve(REPO, process.env.KILN_LOADER ?? path.join(DIST, "python.mjs"));
const CONSOLE_PAGE = path.join(REPO, "runtime", "console.html");
const WORK = path.join(REPO, "target", "browser-tests", "console");
const SCREENSHOT = path.resolve(REPO, process.env.KILN_SCREENSHOT ?? "target/browser-console.png");
const NUMPY_CODE = "import numpy; print(numpy.arange(6).reshape(2,3).sum())";

let browser;
const servers = [];

/**
 * Pixels of a PNG that stand out from its first pixel (the background), counted by the
 * browser itself (it decodes PNG): a screenshot-based check that text is really drawn.
 */
function inkPixels(page, png) {
  return page.evaluate(async (base64) => {
    const blob = await (await fetch(`data:image/png;base64,${base64}`)).blob();
    const bitmap = await createImageBitmap(blob);
    const context = new OffscreenCanvas(bitmap.width, bitmap.height).getContext("2d");
    context.drawImage(bitmap, 0, 0);
    const { data } = context.getImageData(0, 0, bitmap.width, bitmap.height);
    const level = (i) => (data[i] + data[i + 1] + data[i + 2]) / 3;
    let ink = 0;
    for (let i = 0; i < data.length; i += 4) if (Math.abs(level(i) - level(0)) > 64) ink++;
    return ink;
  }, png.toString("base64"));
}

before(async () => {
  browser = await launchChromium(chromium);
});

after(async () => {
  await browser?.close();
  for (const server of servers) await server.close();
});

/**
 * Opens console.html at `baseURL` (with `query`, e.g. `?thread=main`), waits until it is
 * ready, types `code`, clicks Run and waits for a line `expected` in the output. Returns the
 * timings in ms.
 */
async function runInConsole(t, baseURL, code, expected, screenshot, query = "") {
  const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
  const log = [];
  page.on("console", (message) => log.push(`console.${message.type()}: ${message.text()}`));
  page.on("pageerror", (error) => log.push(`page error: ${error.stack ?? error}`));
  // Record synchronous compiles of side modules (a dylink.0 section first): the loader
  // compiles them asynchronously, as Chromium refuses synchronous compiles of large modules
  // on the main thread. (emscripten compiles tiny adapter modules synchronously: not these.)
  // Only Python in the page is seen: a worker may compile synchronously.
  await page.addInitScript(() => {
    const original = WebAssembly.Module;
    window.kilnSyncSideModules = [];
    WebAssembly.Module = new Proxy(original, {
      construct(target, args) {
        const bytes = ArrayBuffer.isView(args[0])
          ? new Uint8Array(args[0].buffer, args[0].byteOffset, Math.min(args[0].byteLength, 24))
          : new Uint8Array(args[0], 0, Math.min(args[0].byteLength, 24));
        if (String.fromCharCode(...bytes).includes("dylink.0")) {
          window.kilnSyncSideModules.push(bytes.length);
        }
        return new target(...args);
      },
    });
  });
  try {
    const opened = performance.now();
    await page.goto(new URL("console.html" + query, baseURL).href);
    await page.waitForFunction(
      () => ["ready", "error"].includes(document.getElementById("status").dataset.state),
      null, { timeout: 120_000 });
    const status = await page.textContent("#status");
    assert.match(status, /^Ready in \d+ ms$/, `the console did not boot: ${status}\n${log.join("\n")}`);
    const bootMs = await page.evaluate(async () => {
      await window.kilnReady;
      return window.kilnBootMs;
    });

    await page.fill("#code", "");
    await page.locator("#code").pressSequentially(code);
    const clicked = performance.now();
    await page.click("#run");
    await page.waitForFunction((line) => {
      const output = document.getElementById("output");
      return output.textContent.split("\n").includes(line) || output.querySelector(".error");
    }, expected, { timeout: 120_000 });
    const seen = performance.now();
    const errors = await page.$$eval("#output .error", (spans) => spans.map((s) => s.textContent));
    assert.deepEqual(errors, [], `the code failed in the page:\n${errors.join("\n")}\n${log.join("\n")}`);
    // The expected line is drawn: its area of a screenshot has ink.
    const box = await page.evaluate((text) => {
      const span = [...document.querySelectorAll("#output span")].find((s) => s.textContent === text + "\n");
      const rect = span?.getBoundingClientRect();
      return rect && { x: rect.x, y: rect.y, width: rect.width, height: rect.height };
    }, expected);
    assert.ok(box?.width > 0 && box?.height > 0, `no output line "${expected}" on the page`);
    const ink = await inkPixels(page, await page.screenshot({ clip: box }));
    assert.ok(ink >= 10, `the line "${expected}" does not show on a screenshot (${ink} ink pixels)`);
    await page.waitForFunction(() => !document.getElementById("run").disabled);
    assert.equal(await page.evaluate(() => window.kilnSyncSideModules.length), 0,
      "a side module was compiled synchronously: the loader's preload missed it");
    fs.mkdirSync(path.dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot });

    // Errors are shown in the page as Python tracebacks; Ctrl+Enter runs too.
    await page.fill("#code", "1/0");
    await page.press("#code", "Control+Enter");
    await page.waitForSelector("#output .error");
    assert.match(await page.textContent("#output .error"), /ZeroDivisionError: division by zero/);

    const runMs = Math.round(seen - clicked);
    t.diagnostic(`boot ${bootMs} ms (navigation to "Ready"), Run to "${expected}" ${runMs} ms, ` +
      `boot + run ${bootMs + runMs} ms (page open to output, with typing: ` +
      `${Math.round(seen - opened)} ms); "${expected}" drawn with ${ink} ink pixels; ` +
      `screenshot ${path.relative(REPO, screenshot)}`);
    return { bootMs, runMs };
  } finally {
    await page.close();
  }
}

test("console.html runs numpy from the dist's lockfile", async (t) => {
  let baseURL = process.env.KILN_SERVE_URL;
  let lockText;
  if (baseURL) {
    if (!baseURL.endsWith("/")) baseURL += "/";
    const response = await fetch(new URL("pyodide-lock.json", baseURL));
    lockText = response.ok ? await response.text() : undefined;
  } else {
    const file = path.join(DIST, "pyodide-lock.json");
    lockText = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
  }
  if (!lockText || !JSON.parse(lockText).packages?.numpy) {
    t.skip(`no numpy in ${baseURL ?? DIST}'s pyodide-lock.json ` +
      "(build it: kiln build-recipes numpy --install)");
    return;
  }
  let server;
  if (!baseURL) {
    server = await serve(DIST);
    servers.push(server);
    baseURL = server.url;
  }
  await runInConsole(t, baseURL, NUMPY_CODE, "15", SCREENSHOT);
  if (server) {
    assert.ok(server.requests.some((p) => /^\/numpy-.*\.whl$/.test(p)), "the numpy wheel was not fetched");
  }
});

test("console.html?thread=main loads a C extension and a shared library package (test packages)", async (t) => {
  const kiln = kilnBinary();
  assert.ok(kiln, "no kiln binary: cargo build first, or set KILN_BIN");
  const dir = path.join(WORK, "dist");
  await makeFixtureDist(dir, { runtimeDir: DIST, loader: LOADER, consolePage: CONSOLE_PAGE, kiln });
  const server = await serve(dir);
  servers.push(server);
  // kilnext: a C extension; gamma: one linked against libfoo.so (a dynlib entry), with
  // pure-Python dependencies.
  const code = "import kilnext, gamma\nprint(kilnext.sum_range(6), gamma.scaled(7), gamma.libname())";
  await runInConsole(t, server.url, code, "15 7001 libfoo",
    path.join(REPO, "target", "browser-console-packages.png"), "?thread=main");
  for (const wheel of ["kilnext-0.1-", "gamma-0.3-", "beta-2.0-", "alpha-1.0-", "libfoo-1.0.zip"]) {
    assert.ok(server.requests.some((p) => p.startsWith("/" + wheel)), `${wheel}… was not fetched`);
  }
});
