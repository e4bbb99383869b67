// What the interop scripts share: a TCP proxy in front of the server under test, the scenario
// "events, cut, reconnect, resume", waits with a deadline, a global time limit.
//
// The proxy forwards bytes both ways unchanged, records every HTTP request head a client sends (so a test can see
// `Last-Event-ID`), and can cut the connections that carry a given path: both sockets are
// destroyed, so the server sees its peer vanish and the client sees its stream end.
//
// Test hook: SSEWIRE_PROXY_STRIP=last-event-id removes that header from the heads it forwards
// (to see the resume checks fail).

import net from "node:net";

const HEAD_END = Buffer.from("\r\n\r\n");
const STRIP = (process.env.SSEWIRE_PROXY_STRIP || "").toLowerCase();

/** Parses a request head (without its final blank line) into { method, path, headers }. */
function parseHead(text) {
  const [requestLine, ...lines] = text.split("\r\n");
  const [method, path] = requestLine.split(" ");
  const headers = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { method, path, headers };
}

/** Drops the header lines named `name` (lowercase) from a head. */
function stripHeader(text, name) {
  return text
    .split("\r\n")
    .filter((line, i) => i === 0 || line.slice(0, line.indexOf(":")).trim().toLowerCase() !== name)
    .join("\r\n");
}

/**
 * Starts a proxy on 127.0.0.1 (a free port) to `upstream` ("http://127.0.0.1:PORT/").
 * Returns { url, requests, cut(path), close() }; `requests` lists every request head seen:
 * { connection, at (ms since the epoch), method, path, headers }.
 */
export async function startProxy(upstream) {
  const target = new URL(upstream);
  const requests = [];
  const open = new Set(); // { id, client, server, paths }
  let nextId = 1;

  const server = net.createServer((client) => {
    const connection = { id: nextId++, client, server: null, paths: new Set() };
    open.add(connection);
    const upstreamSocket = net.connect(Number(target.port), target.hostname);
    connection.server = upstreamSocket;
    let pending = Buffer.alloc(0); // bytes of a head not yet complete
    let body = 0; // bytes of a request body still to pass through unchanged

    client.on("data", (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length > 0) {
        if (body > 0) {
          const n = Math.min(body, pending.length);
          upstreamSocket.write(pending.subarray(0, n));
          pending = pending.subarray(n);
          body -= n;
          continue;
        }
        const end = pending.indexOf(HEAD_END);
        if (end < 0) return; // wait for the rest of the head
        let text = pending.subarray(0, end).toString("latin1");
        pending = pending.subarray(end + HEAD_END.length);
        const head = parseHead(text);
        requests.push({ connection: connection.id, at: Date.now(), ...head });
        connection.paths.add(head.path);
        body = Number(head.headers["content-length"] || 0);
        if (STRIP) text = stripHeader(text, STRIP);
        upstreamSocket.write(Buffer.from(text + "\r\n\r\n", "latin1"));
      }
    });
    upstreamSocket.pipe(client);
    const close = () => {
      open.delete(connection);
      client.destroy();
      upstreamSocket.destroy();
    };
    client.on("end", () => upstreamSocket.end());
    client.on("error", close);
    client.on("close", close);
    upstreamSocket.on("error", close);
    upstreamSocket.on("close", close);
  });

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address();

  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    /** Destroys every open connection that carried a request for `path`; returns how many. */
    cut(path) {
      let n = 0;
      for (const connection of [...open]) {
        if (!connection.paths.has(path)) continue;
        open.delete(connection);
        connection.client.destroy();
        connection.server.destroy();
        n += 1;
      }
      return n;
    },
    close() {
      for (const connection of open) {
        connection.client.destroy();
        connection.server.destroy();
      }
      open.clear();
      server.close();
    },
  };
}

/** Polls `check` every 20 ms until it returns a truthy value; throws after `ms`. */
export async function waitFor(what, ms, check) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Runs `main` with a global time limit: prints its result as one line of JSON on stdout and
 * exits 0, or prints the error on stderr and exits 1.
 */
export function run(name, limitMs, main) {
  const timer = setTimeout(() => {
    console.error(`${name}: gave up after ${limitMs} ms`);
    process.exit(1);
  }, limitMs);
  main().then(
    (result) => {
      clearTimeout(timer);
      process.stdout.write(JSON.stringify(result) + "\n", () => process.exit(0));
    },
    (error) => {
      clearTimeout(timer);
      console.error(`${name}: ${error && error.stack ? error.stack : error}`);
      process.exit(1);
    },
  );
}

/**
 * The resume scenario, the same for every client: wait for events of both types, cut the
 * stream's connection at the proxy, wait for the client to come back (a new request for
 * `/events`) and for events of both types after it. `seen()` returns what the client has
 * recorded so far: { type, data, lastEventId } per event, { type: "open" } per opened stream.
 * Returns { requests, cutAt, cutConnections, seen } for the Rust side to check.
 */
export async function resumeScenario(proxy, seen) {
  const streams = () => proxy.requests.filter((request) => request.path === "/events");
  const both = (events) =>
    events.some((e) => e.type === "message") && events.filter((e) => e.type === "price-update").length >= 8;
  await waitFor("a message and 8 price-updates before the cut", 15000, async () => both(await seen()));
  if (streams().length !== 1) throw new Error(`expected 1 stream request before the cut, saw ${streams().length}`);
  const cutAt = Date.now();
  const cutConnections = proxy.cut("/events");
  await waitFor("the reconnection's request for /events", 15000, () => streams().length >= 2);
  await waitFor("a message and 8 price-updates after the reconnection", 15000, async () => {
    const events = await seen();
    const reopened = events.map((e) => e.type).lastIndexOf("open");
    const opens = events.filter((e) => e.type === "open").length;
    return opens >= 2 && both(events.slice(reopened));
  });
  return { requests: proxy.requests, cutAt, cutConnections, seen: await seen() };
}
