// Headless Chromium (Debian's, through playwright-core) on the ticker's page, through the
// proxy: events of both types, a cut stream, the browser's own reconnection with
// `Last-Event-ID`, the missed events replayed. The page records what it saw in
// `window.ssewireSeen`.
//
//   node browser.mjs TICKER_URL     prints one line of JSON (see resumeScenario), exits 0
//
// CHROMIUM names the browser (default /usr/bin/chromium).

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { resumeScenario, run, startProxy } from "./harness.mjs";

// What Debian's Chromium needs here (DESIGN.md, "Known facts"); Playwright adds --headless
// and --no-sandbox itself, and --user-data-dir from launchPersistentContext.
const FLAGS = [
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

run("browser.mjs", 60000, async () => {
  const upstream = process.argv[2];
  if (!upstream) throw new Error("usage: node browser.mjs TICKER_URL");
  const proxy = await startProxy(upstream);
  const profile = await mkdtemp(join(tmpdir(), "ssewire-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    chromiumSandbox: false,
    args: FLAGS,
    timeout: 30000,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const pageErrors = [];
    page.on("pageerror", (error) => pageErrors.push(String(error)));
    await page.goto(proxy.url, { timeout: 15000 });
    const result = await resumeScenario(proxy, () => page.evaluate(() => window.ssewireSeen.slice()));
    const text = (selector) => page.locator(selector).textContent();
    result.dom = {
      state: await text("#state"),
      reconnects: await text("#reconnects"),
      lastId: await text("#last-id"),
      received: await text("#received"),
    };
    // What the page showed matches what it recorded (the snapshot may be a little older).
    result.seenAtDom = await page.evaluate(() => window.ssewireSeen.slice());
    result.pageErrors = pageErrors;
    result.browser = context.browser()?.version() ?? null;
    return result;
  } finally {
    await context.close();
    proxy.close();
    await rm(profile, { recursive: true, force: true });
  }
});
