// Headless Chromium (Debian's, through playwright-core) on the ticker's page, through the
// proxy: events of both types, a cut stream, the browser's own reconnection with
// `Last-Event-ID`, the missed events replayed. The page records what it saw in
// `window.ssewireSeen`.
//
//   node browser.mjs TICKER_URL     prints one line of JSON (see resumeScenario), exits 0
//
// CHROMIUM names the browser (default /usr/bin/chromium).

import { visitThroughProxy } from "./chromium.mjs";
import { resumeScenario, run } from "./harness.mjs";

run("browser.mjs", 60000, async () => {
  const upstream = process.argv[2];
  if (!upstream) throw new Error("usage: node browser.mjs TICKER_URL");
  return visitThroughProxy(upstream, async (page, proxy) => {
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
    result.browser = page.context().browser()?.version() ?? null;
    return result;
  });
});
