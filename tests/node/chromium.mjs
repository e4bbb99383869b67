// What the Chromium scripts share: Debian's Chromium, started headless through playwright-core
// in a fresh profile, with the flags it needs here.
//
// CHROMIUM names the browser (default /usr/bin/chromium).

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { startProxy } from "./harness.mjs";

// What Debian's Chromium needs here (DESIGN.md, "Known facts"); Playwright adds --headless
// and --no-sandbox itself, and --user-data-dir from launchPersistentContext.
export const FLAGS = [
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Runs `visit(page)` in a fresh Chromium started with `flags`; what it returns. */
export async function withBrowser(flags, visit) {
  const profile = await mkdtemp(join(tmpdir(), "ssewire-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    chromiumSandbox: false,
    args: flags,
    timeout: 30000,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    return await visit(page);
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
}

/**
 * Opens `upstream` ("http://127.0.0.1:PORT/") in a fresh Chromium through the recording proxy
 * of harness.mjs and runs `visit(page, proxy)`; what it returns, with `pageErrors` (the
 * page's uncaught errors) added.
 */
export async function visitThroughProxy(upstream, visit) {
  const proxy = await startProxy(upstream);
  try {
    return await withBrowser(FLAGS, async (page) => {
      const pageErrors = [];
      page.on("pageerror", (error) => pageErrors.push(String(error)));
      await page.goto(proxy.url, { timeout: 15000 });
      const result = await visit(page, proxy);
      return { ...result, pageErrors };
    });
  } finally {
    proxy.close();
  }
}
