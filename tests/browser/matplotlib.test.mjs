// Matplotlib in a real browser (issue 17): Debian's Chromium, headless, on the distribution's
// own console page (`kiln serve`, console.html?thread=main, so Python runs in the page and
// `js.document` is the page's). Importing Matplotlib loads it and its browser backend
// (matplotlib-pyodide) from the lockfile; with a DOM, Matplotlib's default backend is
// `matplotlib_pyodide.wasm_backend` (the runtime sets MPLBACKEND), so `plt.show()` puts the
// figure into the page as a canvas. The test saves a screenshot of that canvas; the heavy Rust
// test `stack::matplotlib_browser` runs this file and compares the screenshot with the host's
// rendering of the same figure. Skipped when the dist's lockfile has no matplotlib.
//
//   KILN_DIST=target/kiln-tests/dist-matplotlib node --test tests/browser/matplotlib.test.mjs
//
// Environment: KILN_DIST (default dist/), KILN_MPL_FIGURE (a Python file that makes the figure
// `fig` with pyplot; default: a line plot), KILN_MPL_SCREENSHOT (where the canvas screenshot
// goes; default target/browser-matplotlib.png, the whole page beside it as *-page.png), KILN_BIN
// (the kiln that serves), KILN_CHROMIUM (default /usr/bin/chromium).

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";
import { REPO, consoleReady, kilnBinary, kilnServe, launchChromium } from "./fixtures.mjs";

const DIST = path.resolve(REPO, process.env.KILN_DIST ?? "dist");
const FIGURE = process.env.KILN_MPL_FIGURE
  ? fs.readFileSync(path.resolve(REPO, process.env.KILN_MPL_FIGURE), "utf8")
  : "import matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(4, 3), dpi=100)\n" +
    "ax.plot([0, 1, 2, 3], [0, 1, 4, 9], lw=3)\n";
const SCREENSHOT = path.resolve(REPO, process.env.KILN_MPL_SCREENSHOT ?? "target/browser-matplotlib.png");
const lockfile = path.join(DIST, "pyodide-lock.json");
const HAS_MATPLOTLIB = fs.existsSync(lockfile) &&
  Boolean(JSON.parse(fs.readFileSync(lockfile, "utf8")).packages?.matplotlib);

let browser;
let server;
let page;
const log = [];

before(async () => {
  if (!HAS_MATPLOTLIB) return;
  server = await kilnServe(kilnBinary(), DIST);
  browser = await launchChromium(chromium);
  // deviceScaleFactor 1: one canvas pixel is one screenshot pixel.
  page = await browser.newPage({ viewport: { width: 1000, height: 900 }, deviceScaleFactor: 1 });
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
    document.getElementById("status").dataset.state === "ready", null, { timeout: 300_000 });
}

const errors = () => page.$$eval("#output .error", (spans) => spans.map((s) => s.textContent));
const outputLines = () =>
  page.$$eval("#output span:not(.input)", (spans) => spans.map((s) => s.textContent.trim()));

test("plt.show() draws the figure into the page", async (t) => {
  if (!HAS_MATPLOTLIB) {
    t.skip(`no matplotlib in ${lockfile} (build it: kiln build-recipes matplotlib --install)`);
    return;
  }
  // Importing matplotlib loads it, its dependencies and its browser backend; the backend is
  // the default one, not chosen here.
  await runCode("import matplotlib\nprint('backend:', matplotlib.get_backend())");
  assert.deepEqual(await errors(), [], log.join("\n"));
  assert.ok((await outputLines()).includes("backend: module://matplotlib_pyodide.wasm_backend"),
    (await outputLines()).join("\n"));

  await runCode(`${FIGURE}\nimport matplotlib.pyplot as plt\nplt.show()\n` +
    "print('figure:', *fig.canvas.get_width_height())");
  assert.deepEqual(await errors(), [], log.join("\n"));
  const line = (await outputLines()).find((text) => text.startsWith("figure: "));
  assert.ok(line, (await outputLines()).join("\n"));
  const [width, height] = line.split(" ").slice(1).map(Number);

  // The backend's figure: a div whose id starts with "matplotlib_", with the Agg canvas.
  const canvas = page.locator('div[id^="matplotlib_"] canvas[id$="canvas"]');
  await canvas.waitFor();
  assert.deepEqual(
    await canvas.evaluate((c) => [c.width, c.height]), [width, height], "canvas size");
  // The page's own reading of the canvas: the figure drew more than its white background.
  const inked = await canvas.evaluate((c) => {
    const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let count = 0;
    for (let k = 0; k < data.length; k += 4) {
      if (data[k] < 250 || data[k + 1] < 250 || data[k + 2] < 250) count++;
    }
    return count;
  });
  assert.ok(inked > (width * height) / 20, `only ${inked} pixels are not white`);

  fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
  await canvas.screenshot({ path: SCREENSHOT });
  await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, "-page.png") });
});
