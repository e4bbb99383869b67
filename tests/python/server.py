class GzipOnly:
    """/gzip/events: compressed, or refused, so that a client that did not ask fails. (An
    instance, not a function: Starlette gives a function a request, an instance the ASGI
    call.)"""

    async def __call__(self, scope, receive, send):
        if "gzip" not in Headers(scope=scope).get("accept-encoding", ""):
            await PlainTextResponse("ask for gzip", status_code=406)(scope, receive, send)
            return
        await gzipped(scope, receive, send)
"""A known Server-Sent Events stream served by sse-starlette on uvicorn, for tests/tests/python.rs.

    python server.py        # prints `listening on http://127.0.0.1:PORT/`, then serves

GET /events serves STREAM below with sse-starlette's EventSourceResponse (CRLF line ends,
uvicorn's h11 HTTP/1.1, a chunked body, one chunk per event). It drops the connection twice:
after the event with ID "4" it sends half an event (an `id` and a `data` line, no blank line)
and aborts (an exception in the generator: uvicorn closes the connection without the last
chunk), and right after ID "6" it ends the response cleanly.
Each request resumes after the event named by its `Last-Event-ID` header, so a client that
reconnects as browsers do gets every event exactly once. The last response (from ID 6 on)
sends keep-alive pings (comments) every 0.2 s, and stays open after the last event until the
client leaves.

GET /gzip/events serves the same stream through Starlette's GZipMiddleware, made to compress
event streams too (it leaves them alone by default): gzip, with a sync flush after each
message; a request whose `Accept-Encoding` does not name gzip gets a 406.

GET /seen answers the `Last-Event-ID` header of each /events request so far, in order, as a
JSON list (null where there was none).

The port is picked by the system; the first line on stdout tells it, once uvicorn serves. The
server exits when its standard input closes, so that it never outlives the test that started
it, even a killed one.
"""

import asyncio
import os
import socket
import sys
import threading

import uvicorn
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.applications import Starlette
from starlette.middleware.gzip import GZipMiddleware
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route, request_response

# sse-starlette's default; written out so that the test keeps exercising CRLF if it changes.
SEP = "\r\n"

# The stream, in order. A dict is a ServerSentEvent's arguments; bytes are written as they are,
# the chunks of one entry sent a moment apart (separate chunks, separate TCP segments).
STREAM = [
    dict(id="1", data="first", retry=100),
    dict(id="2", event="greeting", data="hello"),
    dict(id="3", data="line one\nline two\r\nline three"),
    dict(comment="a comment"),
    dict(data="no id: keeps the last one"),
    dict(id="4", data=" leading space, UTF-8: h\u00e9llo \u2713 \u65e5\u672c"),
    # A CR at the end of one chunk and its LF at the start of the next: one line end, not two
    # (a false blank line would dispatch "split" alone).
    [b"id: 5\r\nevent: update\r\ndata: split\r", b"\ndata: across reads\r\n\r\n"],
    dict(id="6", data=""),
    dict(id="7", event="done", data="bye"),
]

# What happens right after the event with this ID is sent.
DROPS = {"4": "abort", "6": "end"}

# Sent before the abort: an event never completed, which a client must not dispatch (nor take
# its ID as the last event ID).
HALF_EVENT = b"id: 99" + SEP.encode() + b"data: never dispatched" + SEP.encode()

seen = []


class Abort(Exception):
    """Raised in the generator to cut the response short."""


def ident(entry):
    if isinstance(entry, dict):
        return entry.get("id")
    return entry[0].split(b"\r\n", 1)[0].removeprefix(b"id: ").decode()


async def events(request):
    last = request.headers.get("last-event-id")
    seen.append(last)
    start = 0
    if last is not None:
        ids = [ident(entry) for entry in STREAM]
        start = ids.index(last) + 1 if last in ids else 0

    async def generate():
        for entry in STREAM[start:]:
            if isinstance(entry, dict):
                yield ServerSentEvent(**entry, sep=SEP)
            else:
                for chunk in entry:
                    yield chunk
                    await asyncio.sleep(0.05)
            await asyncio.sleep(0.01)
            drop = DROPS.get(ident(entry))
            if drop == "abort":
                yield HALF_EVENT
                await asyncio.sleep(0.05)
                raise Abort("dropping the connection mid-stream, as planned")
            if drop == "end":
                return
        await asyncio.Event().wait()

    # Keep-alive pings only where no drop is ahead: a ping between the chunks of the split
    # event, or after the half event, would change the stream.
    ahead = [ident(entry) for entry in STREAM[start:]]
    ping = 0 if any(i in DROPS for i in ahead) else 0.2
    return EventSourceResponse(generate(), ping=ping, sep=SEP)


async def seen_ids(request):
    return JSONResponse(seen)


gzipped = GZipMiddleware(request_response(events), minimum_size=0, exclude_content_types=())


async def gzip_only(scope, receive, send):
    """/gzip/events: compressed, or refused, so that a client that did not ask fails."""
    if "gzip" not in Headers(scope=scope).get("accept-encoding", ""):
        await PlainTextResponse("ask for gzip", status_code=406)(scope, receive, send)
        return
    await gzipped(scope, receive, send)

app = Starlette(
    routes=[
        Route("/events", events),
        Route("/gzip/events", GzipOnly()),
        Route("/seen", seen_ids),
    ]
)


def exit_when_stdin_closes():
    sys.stdin.buffer.read()
    os._exit(0)


async def main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, http="h11", ws="none", lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if serving.done():
            serving.result()
            sys.exit("uvicorn stopped before serving")
        await asyncio.sleep(0.01)
    print(f"listening on http://127.0.0.1:{port}/", flush=True)
    await serving


if __name__ == "__main__":
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    asyncio.run(main())
