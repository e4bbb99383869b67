// Headless Chromium (Debian's, through playwright-core) on the ticker's page served over
// HTTPS with a certificate made by the test: trusted through Chromium's flag
// --ignore-certificate-errors-spki-list (the hash of the certificate's public key), and
// refused without it.
//
//   node browser-tls.mjs TICKER_URL SPKI_SHA256_BASE64    prints one line of JSON, exits 0

import { FLAGS, withBrowser } from "./chromium.mjs";
import { run, waitFor } from "./harness.mjs";

run("browser-tls.mjs", 60000, async () => {
  const [url, spki] = process.argv.slice(2);
  if (!url || !spki) throw new Error("usage: node browser-tls.mjs TICKER_URL SPKI");
  const refused = await withBrowser(FLAGS, async (page) => {
    try {
      await page.goto(url, { timeout: 15000 });
      return null;
    } catch (error) {
      return String(error.message).split("\n")[0];
    }
  });
  const trusted = await withBrowser([...FLAGS, `--ignore-certificate-errors-spki-list=${spki}`], async (page) => {
    const pageErrors = [];
    page.on("pageerror", (error) => pageErrors.push(String(error)));
    await page.goto(url, { timeout: 15000 });
    const seen = await waitFor("five events over https", 20000, async () => {
      const seen = await page.evaluate(() => window.ssewireSeen.slice());
      return seen.filter((e) => e.type === "price-update").length >= 5 ? seen : null;
    });
    return {
      protocol: await page.evaluate(() => location.protocol),
      state: await page.locator("#state").textContent(),
      seen,
      pageErrors,
    };
  });
  return { refused, trusted };
});
