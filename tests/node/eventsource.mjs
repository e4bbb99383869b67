// The npm `eventsource` package (the EventSource of Node, on fetch) as a client of the ticker,
// through the proxy: `onmessage`, `addEventListener("price-update")`, a cut stream, its
// reconnection with `Last-Event-ID`, the missed events replayed.
//
//   node eventsource.mjs TICKER_URL     prints one line of JSON (see resumeScenario), exits 0

import { EventSource } from "eventsource";
import { resumeScenario, run, startProxy } from "./harness.mjs";

run("eventsource.mjs", 60000, async () => {
  const upstream = process.argv[2];
  if (!upstream) throw new Error("usage: node eventsource.mjs TICKER_URL");
  const proxy = await startProxy(upstream);
  const seen = [];
  const record = (event) => seen.push({ type: event.type, data: event.data, lastEventId: event.lastEventId });
  const source = new EventSource(new URL("events", proxy.url));
  source.onopen = () => seen.push({ type: "open" });
  source.onerror = () => seen.push({ type: "error", readyState: source.readyState });
  source.onmessage = record;
  source.addEventListener("price-update", record);
  try {
    const result = await resumeScenario(proxy, () => seen.slice());
    result.readyState = source.readyState;
    return result;
  } finally {
    source.close();
    proxy.close();
  }
});
