// Headless Chromium (Debian's, through playwright-core) for the browser scripts: a fresh
// profile per run, removed afterwards. CHROMIUM names the browser (default /usr/bin/chromium).

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

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

/**
 * Runs `visit(page, context)` in a fresh Chromium started with `flags` (default FLAGS), and
 * closes it whatever happens; returns what `visit` returns.
 */
export async function withBrowser(flags, visit) {
  const profile = await mkdtemp(join(tmpdir(), "ssewire-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    chromiumSandbox: false,
    args: flags ?? FLAGS,
    timeout: 30000,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    return await visit(page, context);
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
}
