// Headless Chromium (Debian's, through playwright-core) on the progress example's page,
// through the proxy (which records the request heads): a job started with the page's button
// runs to `done` on its bar; then a plain EventSource on the finished job, which does not
// close itself, gets `done`, reconnects with its Last-Event-ID, is answered 204 and stops.
//
//   node progress.mjs PROGRESS_URL   prints one line of JSON, exits 0
//
// CHROMIUM names the browser (default /usr/bin/chromium).

import { visitThroughProxy } from "./chromium.mjs";
import { run } from "./harness.mjs";

run("progress.mjs", 60000, async () => {
  const upstream = process.argv[2];
  if (!upstream) throw new Error("usage: node progress.mjs PROGRESS_URL");
  return visitThroughProxy(upstream, async (page, proxy) => {
    await page.click("#start");
    await page.waitForSelector("#job-1[data-state=done]", { timeout: 20000 });
    const row = await page.$eval("#job-1", (row) => ({
      state: row.dataset.state,
      percent: row.dataset.percent,
      status: row.querySelector(".status").textContent,
    }));
    const plain = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const seen = [];
          const source = new EventSource("/jobs/1/events");
          for (const type of ["progress", "done"]) {
            source.addEventListener(type, (event) => seen.push({ type, lastEventId: event.lastEventId }));
          }
          source.onerror = () => {
            if (source.readyState === EventSource.CLOSED) resolve({ seen, readyState: source.readyState });
          };
          setTimeout(() => resolve({ seen, readyState: source.readyState, timedOut: true }), 15000);
        }),
    );
    return { row, plain, requests: proxy.requests };
  });
});
