//! Server and client over loopback, on smol and on async-std: every scenario runs on both.

mod common;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_lite::{AsyncReadExt, AsyncWriteExt, StreamExt};
use ssewire::client::{Failure, State};
use ssewire_futures::client::{
    ClientError, Config as ClientConfig, Connector, EventSource, Target, Update,
};
use ssewire_futures::http::{ChunkedError, Framing};
use ssewire_futures::server::{
    Config, CorsPolicy, End, Events, OverCapacity, Reply, Request, Route, Server, Subscribe,
};
use ssewire_futures::{Event, EventStream, Hub, HubConfig, Item, ReadConfig};

use common::{run, Rt};

/// Waits until `done` holds, polling every 5 ms (bounded by the test timeout).
async fn until<R: Rt>(mut done: impl FnMut() -> bool) {
    while !done() {
        R::sleep(Duration::from_millis(5)).await;
    }
}

/// A started server: its address, its shutdown handle and the requests it saw.
type Started = (
    SocketAddr,
    ssewire_futures::server::Shutdown,
    Arc<Mutex<Vec<Request>>>,
);

/// Starts a server with `config` routing `/events` to `hub` and the rest to `other`; returns
/// its address, its shutdown handle and the requests it saw.
fn start<R: Rt>(
    config: Config,
    hub: &Hub,
    other: impl Fn(&Request) -> Route + Send + Sync + 'static,
) -> Started {
    start_at::<R>("127.0.0.1:0".parse().unwrap(), config, hub, other)
}

fn start_at<R: Rt>(
    addr: SocketAddr,
    config: Config,
    hub: &Hub,
    other: impl Fn(&Request) -> Route + Send + Sync + 'static,
) -> Started {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let hub = hub.clone();
    let server = Server::<R>::bind(addr, config, move |request: &Request| {
        log.lock().unwrap().push(request.clone());
        match request.path() {
            "/events" => Route::Stream(hub.clone()),
            _ => other(request),
        }
    })
    .unwrap();
    let addr = server.local_addr();
    let shutdown = server.shutdown_handle();
    R::spawn(async move {
        server.run().await.unwrap();
    });
    (addr, shutdown, seen)
}

fn not_found(_: &Request) -> Route {
    Route::NotFound
}

/// A client configuration that reconnects quickly.
fn quick() -> ClientConfig {
    ClientConfig::new()
        .initial_delay(Duration::from_millis(50))
        .max_delay(Duration::from_millis(200))
}

/// The next event of `source`, skipping opens and comments; panics on an error or the end.
async fn next_event(source: &mut EventSource) -> Event {
    loop {
        match source.next().await {
            Some(Ok(Update::Event(event))) => return event,
            Some(Ok(_)) => {}
            Some(Err(error)) => panic!("unexpected error {error:?}"),
            None => panic!("stream ended: {:?}", source.failure()),
        }
    }
}

/// Sends raw bytes and reads the answer until the server closes.
async fn raw<R: Rt>(addr: SocketAddr, request: &[u8]) -> String {
    let mut socket = R::connect("127.0.0.1", addr.port()).await.unwrap();
    socket.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let _ = socket.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

fn exchange<R: Rt>() {
    run::<R>(async {
        let hub = Hub::new(HubConfig::new());
        let (addr, _, _) = start::<R>(Config::new(), &hub, not_found);
        let url = format!("http://{addr}/events");
        let mut source = EventSource::new::<R>(&url, quick()).unwrap();
        // The first update is the opening of the stream, before any event.
        let publisher = hub.clone();
        R::spawn(async move {
            until::<R>(|| publisher.subscribers() == 1).await;
            publisher.publish(Event::new("plain")).unwrap();
            let quote = Event::new("{\"symbol\":\"ACME\",\"price\":12.5}").event("price-update");
            publisher.publish(quote).unwrap();
            publisher
                .publish(Event::new("line one\nline two\r\nline three"))
                .unwrap();
            publisher
                .publish(Event::new("  spaced").id("custom-7").event("note"))
                .unwrap();
        });
        assert_eq!(source.next().await.unwrap().unwrap(), Update::Open);
        assert_eq!(source.state(), State::Open);
        assert_eq!(next_event(&mut source).await, Event::new("plain").id("1"));
        assert_eq!(
            next_event(&mut source).await,
            Event::new("{\"symbol\":\"ACME\",\"price\":12.5}")
                .event("price-update")
                .id("2")
        );
        assert_eq!(
            next_event(&mut source).await,
            Event::new("line one\nline two\nline three").id("3")
        );
        assert_eq!(
            next_event(&mut source).await,
            Event::new("  spaced").id("custom-7").event("note")
        );
        assert_eq!(source.last_event_id(), "custom-7");
        source.close();
        assert!(source.next().await.is_none());
        assert_eq!(source.state(), State::Closed);
    });
}

fn reconnect_resumes_exactly_once<R: Rt>() {
    run::<R>(async {
        let hub = Hub::new(HubConfig::new());
        let config = Config::new().retry(50);
        let (addr, shutdown, seen) = start::<R>(config, &hub, not_found);
        let url = format!("http://{addr}/events");
        let mut source = EventSource::new::<R>(&url, quick()).unwrap();
        for i in 0..3 {
            let publisher = hub.clone();
            if i == 0 {
                R::spawn(async move {
                    until::<R>(|| publisher.subscribers() == 1).await;
                    for n in 0..3 {
                        publisher.publish(Event::new(format!("e{n}"))).unwrap();
                    }
                });
            }
            assert_eq!(next_event(&mut source).await.data, format!("e{i}"));
        }
        // The server goes away: streams end cleanly, the listener closes.
        shutdown.shutdown();
        // Events published while the client is away stay in the replay window.
        until::<R>(|| hub.subscribers() == 0).await;
        for n in 3..6 {
            hub.publish(Event::new(format!("e{n}"))).unwrap();
        }
        // A new server on the same port, with the same hub.
        let (_, _, seen_again) = start_at::<R>(addr, config, &hub, not_found);
        for n in 3..6 {
            let event = next_event(&mut source).await;
            assert_eq!(
                (event.data, event.id),
                (format!("e{n}"), Some((n + 1).to_string()))
            );
        }
        hub.publish(Event::new("e6")).unwrap();
        assert_eq!(next_event(&mut source).await.data, "e6", "no event twice");
        assert_eq!(seen.lock().unwrap()[0].last_event_id, None);
        let again = seen_again.lock().unwrap();
        assert_eq!(again[0].last_event_id.as_deref(), Some("3"));
    });
}

/// Routes `/topics` to a subscription to the topics of the request (at most 2), `400` for
/// a bad list.
fn topic_route(hub: &Hub) -> impl Fn(&Request) -> Route + Send + Sync + 'static {
    let hub = hub.clone();
    move |request| match (request.path(), request.topics(2)) {
        ("/topics", Ok(topics)) => Route::Subscribe(Subscribe::new(hub.clone()).topics(topics)),
        ("/topics", Err(error)) => Route::Reply(Reply::text(400, format!("{error}\n"))),
        _ => Route::NotFound,
    }
}

/// The topic, ID and data of the next event of `source`.
async fn next_topic_event(source: &mut EventSource) -> (String, Option<String>, String) {
    let event = next_event(source).await;
    (event.event, event.id, event.data)
}

fn topics_on_one_stream<R: Rt>() {
    run::<R>(async {
        let hub = Hub::new(HubConfig::new());
        let config = Config::new().retry(50);
        let (addr, shutdown, _) = start::<R>(config, &hub, topic_route(&hub));
        let bad = [
            ("/topics", "no topics"),
            ("/topics?topics=", "empty topic name"),
            ("/topics?topics=a,,b", "empty topic name"),
            ("/topics?topics=a,b,c", "too many topics"),
            ("/topics?topics=a&topics=b&topics=c", "too many topics"),
            ("/topics?topics=a%20b", "invalid character in topic name"),
        ];
        for (target, why) in bad {
            let request = format!("GET {target} HTTP/1.1\r\nHost: a\r\n\r\n");
            let answer = raw::<R>(addr, request.as_bytes()).await;
            assert!(answer.starts_with("HTTP/1.1 400 "), "{target}: {answer}");
            assert!(
                answer.ends_with(&format!("\r\n\r\n{why}\n")),
                "{target}: {answer}"
            );
        }
        assert_eq!(hub.stats().subscriptions, 0, "no subscription for a 400");

        // Two topics on one connection; `URLSearchParams` writes the comma as %2C.
        let url = format!("http://{addr}/topics?topics=prices%2Cnotes");
        let mut source = EventSource::new::<R>(&url, quick()).unwrap();
        let publisher = hub.clone();
        R::spawn(async move {
            until::<R>(|| publisher.subscribers() == 1).await;
            for (topic, data) in [("prices", "p1"), ("chat", "c2"), ("notes", "n3")] {
                publisher.publish_to(topic, Event::new(data)).unwrap();
            }
            publisher.send_to("notes", Event::new("live")).unwrap();
            publisher.publish_to("prices", Event::new("p4")).unwrap();
        });
        let event = |topic: &str, id: Option<&str>, data: &str| {
            (topic.to_owned(), id.map(str::to_owned), data.to_owned())
        };
        let expected = [
            event("prices", Some("1"), "p1"),
            event("notes", Some("3"), "n3"),
            event("notes", None, "live"),
            event("prices", Some("4"), "p4"),
        ];
        for expected in expected {
            assert_eq!(next_topic_event(&mut source).await, expected);
        }

        // The server goes away; what is published meanwhile waits in the window.
        shutdown.shutdown();
        until::<R>(|| hub.subscribers() == 0).await;
        for (topic, data) in [("notes", "n5"), ("chat", "c6"), ("prices", "p7")] {
            hub.publish_to(topic, Event::new(data)).unwrap();
        }
        let (_, _, seen) = start_at::<R>(addr, config, &hub, topic_route(&hub));
        // One Last-Event-ID resumes both topics: their missed events, then live ones.
        assert_eq!(
            next_topic_event(&mut source).await,
            event("notes", Some("5"), "n5")
        );
        assert_eq!(
            next_topic_event(&mut source).await,
            event("prices", Some("7"), "p7")
        );
        hub.publish_to("chat", Event::new("c8")).unwrap();
        hub.publish(Event::new("plain")).unwrap();
        hub.publish_to("notes", Event::new("n10")).unwrap();
        assert_eq!(
            next_topic_event(&mut source).await,
            event("notes", Some("10"), "n10"),
            "none twice, none of other topics"
        );
        assert_eq!(seen.lock().unwrap()[0].last_event_id.as_deref(), Some("4"));

        // The topics in a header instead of the query (a client that can set one), resumed
        // after 8: only its topic's later events.
        let config = quick().header("Topics", "chat").last_event_id("8");
        let url = format!("http://{addr}/topics");
        let mut header = EventSource::new::<R>(&url, config).unwrap();
        hub.publish_to("notes", Event::new("n11")).unwrap();
        hub.publish_to("chat", Event::new("c12")).unwrap();
        assert_eq!(
            next_topic_event(&mut header).await,
            event("chat", Some("12"), "c12")
        );
    });
}

fn retry_is_honoured<R: Rt>() {
    run::<R>(async {
        let hub = Hub::new(HubConfig::new());
        let config = Config::new().retry(400);
        let (addr, _, seen) = start::<R>(config, &hub, not_found);
        let config = ClientConfig::new().jitter_percent(0);
        let url = format!("http://{addr}/events");
        let mut source = EventSource::new::<R>(&url, config).unwrap();
        assert_eq!(source.next().await.unwrap().unwrap(), Update::Open);
        hub.publish(Event::new("x")).unwrap();
        // The server's `retry` comes with the first event, as an item of its own before it.
        assert_eq!(source.next().await.unwrap().unwrap(), Update::Retry(400));
        let x = Event::new("x").id("1");
        assert_eq!(source.next().await.unwrap().unwrap(), Update::Event(x));
        hub.publish(Event::new("y")).unwrap();
        let y = Event::new("y").id("2");
        assert_eq!(source.next().await.unwrap().unwrap(), Update::Event(y));
        // The hub closes: the stream ends and the client waits the server's 400 ms, not its
        // default 3 s, before the next request; it says so.
        let ended = Instant::now();
        hub.close();
        // The wait left when it is reported: the reconnection time, less a few ms.
        match source.next().await.unwrap().unwrap() {
            Update::Reconnecting(wait) => {
                let retry = Duration::from_millis(400);
                assert!(
                    wait <= retry && wait + Duration::from_millis(20) >= retry,
                    "{wait:?}"
                );
            }
            other => panic!("{other:?}"),
        }
        // The client opens the next stream (which the closed hub ends at once).
        assert_eq!(source.next().await.unwrap().unwrap(), Update::Open);
        let waited = ended.elapsed();
        assert_eq!(seen.lock().unwrap().len(), 2);
        assert!(waited >= Duration::from_millis(400), "{waited:?}");
        assert!(waited < Duration::from_millis(2500), "{waited:?}");
    });
}

fn no_content_stops<R: Rt>() {
    run::<R>(async {
        let hub = Hub::new(HubConfig::new());
        let (addr, _, seen) = start::<R>(Config::new(), &hub, |_: &Request| {
            Route::Reply(Reply::no_content())
        });
        let answer = raw::<R>(addr, b"GET /done HTTP/1.1\r\nHost: a\r\n\r\n").await;
        assert_eq!(
            answer,
            "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"
        );
        seen.lock().unwrap().clear();
        let url = format!("http://{addr}/done");
        let mut source = EventSource::new::<R>(&url, quick()).unwrap();
        assert!(source.next().await.is_none());
        assert_eq!(source.failure(), Some(Failure::NoContent));
        R::sleep(Duration::from_millis(200)).await;
        assert_eq!(seen.lock().unwrap().len(), 1, "no reconnection after 204");
    });
}

fn error_status_and_content_type_fail<R: Rt>() {
    run::<R>(async {
        let hub = Hub::new(HubConfig::new());
        let (addr, _, _) = start::<R>(Config::new(), &hub, |request: &Request| {
            match request.path() {
                "/broken" => Route::Reply(Reply::text(500, "oops")),
                _ => Route::Reply(Reply::html("<p>not a stream</p>")),
            }
        });
        let mut source = EventSource::new::<R>(&format!("http://{addr}/broken"), quick()).unwrap();
        assert!(source.next().await.is_none());
        assert_eq!(source.failure(), Some(Failure::Status(500)));
        let mut source = EventSource::new::<R>(&format!("http://{addr}/page"), quick()).unwrap();
        assert!(source.next().await.is_none());
        assert_eq!(source.failure(), Some(Failure::ContentType));
    });
}

fn redirect_is_followed<R: Rt>() {
    run::<R>(async {
        // A second server, which only absolute redirects lead to.
        let there = Hub::new(HubConfig::new());
        let (other, _, _) = start::<R>(Config::new(), &there, not_found);
        let hub = Hub::new(HubConfig::new());
        let (addr, _, seen) = start::<R>(Config::new(), &hub, move |request: &Request| {
            let location = match request.path() {
                "/old" => "/events".to_owned(),
                "/away" => format!("http://{other}/events"),
                _ => format!("//{other}/events"),
            };
            Route::Reply(
                Reply::text(307, "moved")
                    .header("Location", &location)
                    .unwrap(),
            )
        });
        let mut source = EventSource::new::<R>(&format!("http://{addr}/old"), quick()).unwrap();
        assert_eq!(source.next().await.unwrap().unwrap(), Update::Open);
        hub.publish(Event::new("here")).unwrap();
        assert_eq!(next_event(&mut source).await.data, "here");
        let paths: Vec<String> = seen
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.target.clone())
            .collect();
        assert_eq!(paths, ["/old", "/events"]);

        // To another server, absolute and scheme-relative.
        let mut sources = Vec::new();
        for path in ["/away", "/scheme-relative"] {
            let url = format!("http://{addr}{path}");
            let mut source = EventSource::new::<R>(&url, quick()).unwrap();
            assert_eq!(source.next().await.unwrap().unwrap(), Update::Open);
            sources.push(source);
        }
        until::<R>(|| there.subscribers() == 2).await;
        there.publish(Event::new("there")).unwrap();
        for source in &mut sources {
            assert_eq!(next_event(source).await.data, "there");
        }
    });
}

fn slow_subscriber_is_evicted<R: Rt>() {
    run::<R>(async {
        let hub = Hub::new(HubConfig::new().backlog(4));
        let (addr, _, _) = start::<R>(Config::new(), &hub, not_found);
        // A subscriber that never reads.
        let mut slow = R::connect("127.0.0.1", addr.port()).await.unwrap();
        slow.write_all(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        until::<R>(|| hub.subscribers() == 1).await;
        let url = format!("http://{addr}/events");
        let mut fast = EventSource::new::<R>(&url, quick()).unwrap();
        assert_eq!(fast.next().await.unwrap().unwrap(), Update::Open);
        assert_eq!(hub.subscribers(), 2);
        // Large events fill the slow client's socket buffers, then its backlog.
        let data = "x".repeat(64 * 1024);
        let mut n = 0;
        while hub.subscribers() == 2 {
            assert!(n < 2000, "the slow subscriber was never evicted");
            hub.publish(Event::new(data.clone())).unwrap();
            // The fast one gets every event while the slow one reads nothing.
            let event = next_event(&mut fast).await;
            n += 1;
            assert_eq!(event.id, Some(n.to_string()));
        }
        hub.publish(Event::new("after")).unwrap();
        assert_eq!(next_event(&mut fast).await.data, "after");
        // The slow one is cut off: reading what was sent ends, not with every event.
        let mut received = Vec::new();
        let _ = slow.read_to_end(&mut received).await;
        let frames = received.windows(6).filter(|w| w == b"data: ").count();
        assert!(frames < n + 1, "{frames} of {}", n + 1);
    });
}

fn bad_requests_are_answered<R: Rt>() {
    run::<R>(async {
        let hub = Hub::new(HubConfig::new());
        let (addr, _, _) = start::<R>(Config::new(), &hub, not_found);
        let answer = raw::<R>(addr, b"GARBAGE\x01 / HTTP/1.1\r\n\r\n").await;
        assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
        let big = format!(
            "GET /events HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n",
            "a".repeat(10_000)
        );
        let answer = raw::<R>(addr, big.as_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 431 "), "{answer}");
        let answer = raw::<R>(
            addr,
            b"POST /events HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
        )
        .await;
        assert!(answer.starts_with("HTTP/1.1 405 "), "{answer}");
        assert!(answer.contains("Allow: GET"), "{answer}");
        assert_eq!(hub.stats().subscriptions, 0, "no subscription for a 405");
        let answer = raw::<R>(addr, b"GET /nothing HTTP/1.1\r\nHost: a\r\n\r\n").await;
        assert!(answer.starts_with("HTTP/1.1 404 "), "{answer}");
    });
}

fn reply_to_a_request_with_a_body<R: Rt>() {
    run::<R>(async {
        let hub = Hub::new(HubConfig::new());
        let config = Config::new()
            .max_body(1 << 20)
            .body_timeout(Duration::from_millis(300));
        let (addr, _, _) = start::<R>(config, &hub, |request: &Request| {
            let body = String::from_utf8_lossy(&request.body).into_owned();
            Route::Reply(Reply::text(
                200,
                format!("{} bytes: {body}", request.body.len()),
            ))
        });
        // The router gets the body whole, by length or chunked, split anywhere.
        let by_length = "POST /jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
        let chunked = "POST /jobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
                       3;x=y\r\nhel\r\n2\r\nlo\r\n0\r\nTrailer: t\r\n\r\n";
        for request in [by_length, chunked] {
            let answer = raw::<R>(addr, request.as_bytes()).await;
            assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
            assert!(answer.ends_with("\r\n\r\n5 bytes: hello"), "{answer}");
        }
        // A body over the limit is a 413 from the head alone, whether the client sends it
        // before reading or only after the answer: either way it gets the answer and a clean
        // end, not a connection reset.
        let body = "x".repeat(4 << 20);
        let head = format!(
            "POST /jobs HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        for body_first in [true, false] {
            let mut socket = R::connect("127.0.0.1", addr.port()).await.unwrap();
            socket.write_all(head.as_bytes()).await.unwrap();
            let mut answer = Vec::new();
            if body_first {
                socket.write_all(body.as_bytes()).await.unwrap();
            } else {
                while !answer.ends_with(b"Content Too Large\n") {
                    let mut buf = [0; 512];
                    let n = socket.read(&mut buf).await.unwrap();
                    assert_ne!(n, 0, "{answer:?}");
                    answer.extend_from_slice(&buf[..n]);
                }
                socket.write_all(body.as_bytes()).await.unwrap();
            }
            let read = socket.read_to_end(&mut answer).await;
            let answer = String::from_utf8_lossy(&answer);
            assert!(read.is_ok(), "{read:?} after {answer:?}");
            assert!(
                answer.starts_with("HTTP/1.1 413 Content Too Large\r\n"),
                "{answer}"
            );
        }
        // Chunks over the limit: 413 once they pass it. A broken chunked framing: 400. A body
        // that does not come in time: 408.
        let big_chunks = format!(
            "POST /jobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{}",
            format!("80000\r\n{}\r\n", "y".repeat(0x80000)).repeat(3)
        );
        let broken = "POST /jobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
        let late = "POST /jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhalf";
        for (request, status) in [
            (big_chunks.as_str(), "413 Content Too Large"),
            (broken, "400 Bad Request"),
            (late, "408 Request Timeout"),
        ] {
            let mut socket = R::connect("127.0.0.1", addr.port()).await.unwrap();
            socket.write_all(request.as_bytes()).await.unwrap();
            let mut answer = Vec::new();
            let _ = socket.read_to_end(&mut answer).await;
            let answer = String::from_utf8_lossy(&answer);
            assert!(
                answer.starts_with(&format!("HTTP/1.1 {status}\r\n")),
                "{answer}"
            );
        }
        // A request pipelined after a body is not answered: one answer, then the end.
        let pipelined = format!("{by_length}GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
        let answer = raw::<R>(addr, pipelined.as_bytes()).await;
        assert_eq!(answer.matches("HTTP/1.1 ").count(), 1, "{answer}");
        assert!(answer.ends_with("5 bytes: hello"), "{answer}");
    });
}

/// An async router: it awaits (here a timer, as a token lookup would) and answers `401`
/// without a valid bearer token, the stream with one.
fn an_async_router_checks_a_token<R: Rt>() {
    run::<R>(async {
        let hub = Hub::new(HubConfig::new());
        let events = hub.clone();
        let server =
            Server::<R>::bind_async("127.0.0.1:0", Config::new(), move |request: Request| {
                let hub = events.clone();
                async move {
                    R::sleep(Duration::from_millis(20)).await;
                    match request.header("Authorization") {
                        Some("Bearer good") => Route::Stream(hub),
                        _ => Route::Reply(
                            Reply::text(401, "a bearer token, please\n")
                                .header("WWW-Authenticate", "Bearer")
                                .unwrap(),
                        ),
                    }
                }
            })
            .unwrap();
        let addr = server.local_addr();
        R::spawn(async move {
            server.run().await.unwrap();
        });
        for token in ["", "Authorization: Bearer bad\r\n"] {
            let request = format!("GET /events HTTP/1.1\r\nHost: x\r\n{token}\r\n");
            let answer = raw::<R>(addr, request.as_bytes()).await;
            assert!(answer.starts_with("HTTP/1.1 401 "), "{answer}");
            assert!(
                answer.contains("\r\nWWW-Authenticate: Bearer\r\n"),
                "{answer}"
            );
        }
        let url = format!("http://{addr}/events");
        let config = quick().header("Authorization", "Bearer good");
        let mut source = EventSource::new::<R>(&url, config).unwrap();
        assert_eq!(source.next().await.unwrap().unwrap(), Update::Open);
        until::<R>(|| hub.subscribers() == 1).await;
        hub.publish(Event::new("let in")).unwrap();
        assert_eq!(next_event(&mut source).await.data, "let in");
    });
}

/// What request smuggling is made of (RFC 9112, sections 3.2 and 6) gets a 400 and a closed
/// connection, never a stream or a reply; a request pipelined after one with a body is not
/// answered as if the body were a request.
fn ambiguous_requests_are_400<R: Rt>() {
    run::<R>(async {
        let hub = Hub::new(HubConfig::new());
        let (addr, _, seen) = start::<R>(Config::new(), &hub, |_: &Request| {
            Route::Reply(Reply::text(200, "routed"))
        });
        for request in [
            &b"GET /events HTTP/1.1\r\n\r\n"[..],
            b"GET /events HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            b"GET /events HTTP/1.1\r\nHost: a b\r\n\r\n",
            b"POST /jobs HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"POST /jobs HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
            b"POST /jobs HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
            b"POST /jobs HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 4\r\n\r\n",
            b"POST /jobs HTTP/1.1\r\nHost: a\r\nContent-Length: -3\r\n\r\n",
            b"POST /jobs HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
            b"POST /jobs HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
        ] {
            let answer = raw::<R>(addr, request).await;
            let shown = String::from_utf8_lossy(request);
            assert!(answer.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{shown:?}: {answer}");
            assert_eq!(answer.matches("HTTP/1.1 ").count(), 1, "{shown:?}: {answer}");
        }
        assert!(
            seen.lock().unwrap().is_empty(),
            "a router saw an ambiguous request"
        );
        // An HTTP/1.0 request needs no Host.
        let answer = raw::<R>(addr, b"GET /x HTTP/1.0\r\n\r\n").await;
        assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
        // A body that holds what looks like a request: one answer, then the connection ends.
        let pipelined =
            b"POST /jobs HTTP/1.1\r\nHost: a\r\nContent-Length: 33\r\n\r\nGET /events HTTP/1.1\r\nHost: a\r\n\r\n";
        let answer = raw::<R>(addr, pipelined).await;
        assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
        assert!(answer.ends_with("routed"), "{answer}");
        assert_eq!(answer.matches("HTTP/1.1 ").count(), 1, "{answer}");
        assert_eq!(seen.lock().unwrap().len(), 2);
    });
}

/// The router gets every header field: a bearer token checked there decides between the
/// stream and a 401.
fn the_router_sees_every_header<R: Rt>() {
    run::<R>(async {
        let hub = Hub::new(HubConfig::new());
        let (addr, _, seen) = start::<R>(Config::new(), &hub, |request: &Request| {
            match request.header("authorization") {
                Some("Bearer secret") => Route::Reply(Reply::text(200, "welcome")),
                _ => Route::Reply(Reply::text(401, "who are you?")),
            }
        });
        let request = b"GET /feed?topic=a HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer secret\r\n\
            Cookie: s=1\r\nX-Tag: one\r\nx-tag:  two \r\nX-Bytes: caf\xE9\r\n\r\n";
        let answer = raw::<R>(addr, request).await;
        assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
        let answer = raw::<R>(addr, b"GET /feed HTTP/1.1\r\nHost: a\r\n\r\n").await;
        assert!(answer.starts_with("HTTP/1.1 401 "), "{answer}");
        let seen = seen.lock().unwrap();
        let first = &seen[0];
        assert_eq!(first.query(), Some("topic=a"));
        assert_eq!(first.header("COOKIE"), Some("s=1"));
        assert_eq!(
            first.header_all("X-Tag").collect::<Vec<_>>(),
            ["one", "two"]
        );
        // Not UTF-8: not a `&str`, but there as it came.
        assert_eq!(first.header("x-bytes"), None);
        let raw_value = first.headers.iter().find(|(name, _)| name == "X-Bytes");
        assert_eq!(
            raw_value.map(|(_, value)| &value[..]),
            Some(&b"caf\xE9"[..])
        );
        assert_eq!(first.headers.len(), 6);
        assert_eq!(seen[1].header("authorization"), None);
    });
}

fn slow_head_is_dropped<R: Rt>() {
    run::<R>(async {
        let hub = Hub::new(HubConfig::new());
        let config = Config::new().head_timeout(Duration::from_millis(200));
        let (addr, _, _) = start::<R>(config, &hub, not_found);
        let started = Instant::now();
        let answer = raw::<R>(addr, b"GET /events HTTP/1.1\r\nHost: slow").await;
        assert_eq!(answer, "", "dropped unanswered");
        assert!(started.elapsed() >= Duration::from_millis(200));
    });
}

fn slow_heads_do_not_take_the_places_of_real_clients<R: Rt>() {
    run::<R>(async {
        let hub = Hub::new(HubConfig::new());
        let config = Config::new().max_connections(16).max_pending(40);
        let events = hub.clone();
        let server = Server::<R>::bind("127.0.0.1:0", config, move |_: &Request| {
            Route::Stream(events.clone())
        })
        .unwrap();
        let (addr, stats) = (server.local_addr(), server.stats());
        R::spawn(async move { server.run().await.unwrap() });
        let connect = || R::connect("127.0.0.1", addr.port());
        // Slow-loris clients: heads that never end.
        let mut slow = Vec::new();
        for _ in 0..40 {
            let mut socket = connect().await.unwrap();
            socket
                .write_all(b"GET /events HTTP/1.1\r\nHost: a\r\n")
                .await
                .unwrap();
            slow.push(socket);
        }
        until::<R>(|| stats.snapshot().open == 40).await;
        // One more: the oldest is closed, unanswered.
        let mut newest = connect().await.unwrap();
        newest.write_all(b"GET /events HTTP/1.1\r\n").await.unwrap();
        let mut answer = Vec::new();
        let _ = slow[0].read_to_end(&mut answer).await;
        assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
        assert_eq!(stats.snapshot().shed, 1);
        until::<R>(|| stats.snapshot().open == 40).await;
        // Real clients still get their streams, up to `max_connections` of them: the first
        // takes the place of the oldest slow one, and leaves the pending ones when its head
        // has come, so the next ones fit.
        let mut real = Vec::new();
        for n in 0..16 {
            let mut socket = connect().await.unwrap();
            socket
                .write_all(b"GET /events HTTP/1.1\r\nHost: a\r\n\r\n")
                .await
                .unwrap();
            let head = common::read_head(&mut socket).await.expect("a head");
            let head = String::from_utf8_lossy(&head);
            assert!(head.starts_with("HTTP/1.1 200 "), "client {n}: {head}");
            real.push(socket);
        }
        assert_eq!(stats.snapshot().shed, 2);
        // The newest slow one is still waiting: the oldest went first.
        let mut byte = [0];
        let waiting =
            futures_lite::future::or(async { Some(newest.read(&mut byte).await) }, async {
                R::sleep(Duration::from_millis(100)).await;
                None
            });
        assert!(waiting.await.is_none(), "the newest slow client was kept");
        let answer = raw::<R>(addr, b"GET /events HTTP/1.1\r\nHost: a\r\n\r\n").await;
        assert!(answer.starts_with("HTTP/1.1 503 "), "{answer}");
        assert_eq!(hub.subscribers(), 16);
        assert_eq!(stats.snapshot().answered(503), 1);
    });
}

fn over_capacity_is_503<R: Rt>() {
    run::<R>(async {
        let hub = Hub::new(HubConfig::new());
        let (addr, _, _) = start::<R>(Config::new().max_connections(2), &hub, not_found);
        let mut held = Vec::new();
        for _ in 0..2 {
            let mut socket = R::connect("127.0.0.1", addr.port()).await.unwrap();
            socket
                .write_all(b"GET /events HTTP/1.1\r\nHost: a\r\n\r\n")
                .await
                .unwrap();
            held.push(socket);
        }
        until::<R>(|| hub.subscribers() == 2).await;
        let answer = raw::<R>(addr, b"GET /events HTTP/1.1\r\nHost: a\r\n\r\n").await;
        assert!(answer.starts_with("HTTP/1.1 503 "), "{answer}");
        assert!(answer.contains("Retry-After: 5"), "{answer}");
        // The browser-friendly answer: a stream with only `retry`, then its end.
        let hub = Hub::new(HubConfig::new());
        let mut config = Config::new().max_connections(0);
        config.over_capacity = OverCapacity::RetryLater { retry_ms: 7000 };
        let (addr, _, _) = start::<R>(config, &hub, not_found);
        let answer = raw::<R>(addr, b"GET /events HTTP/1.1\r\nHost: a\r\n\r\n").await;
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        assert!(
            answer.ends_with("\r\nretry: 7000\n\n\r\n0\r\n\r\n"),
            "{answer}"
        );
    });
}

fn keep_alive_on_idle_stream<R: Rt>() {
    run::<R>(async {
        let hub = Hub::new(HubConfig::new());
        let config = Config::new().keep_alive(Some(Duration::from_millis(100)));
        let (addr, _, _) = start::<R>(config, &hub, not_found);
        // A host name, resolved by the runtime.
        let url = format!("http://localhost:{}/events", addr.port());
        let mut source = EventSource::new::<R>(&url, quick()).unwrap();
        assert_eq!(source.next().await.unwrap().unwrap(), Update::Open);
        assert_eq!(
            source.next().await.unwrap().unwrap(),
            Update::Comment(String::new())
        );
        assert_eq!(
            source.next().await.unwrap().unwrap(),
            Update::Comment(String::new())
        );
    });
}

fn shutdown_ends_streams<R: Rt>() {
    run::<R>(async {
        let hub = Hub::new(HubConfig::new());
        let server = Server::<R>::bind("127.0.0.1:0", Config::new(), {
            let hub = hub.clone();
            move |_: &Request| Route::Stream(hub.clone())
        })
        .unwrap();
        let addr = server.local_addr();
        let shutdown = server.shutdown_handle();
        let (done_tx, done) = async_channel::bounded(1);
        R::spawn(async move {
            server.run().await.unwrap();
            done_tx.send(()).await.unwrap();
        });
        let reader = R::spawn_reader(addr);
        until::<R>(|| hub.subscribers() == 1).await;
        hub.publish(Event::new("last")).unwrap();
        shutdown.shutdown();
        done.recv().await.unwrap();
        let answer = reader.recv().await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        assert!(answer.ends_with("data: last\n\n\r\n0\r\n\r\n"), "{answer}");
        // The listener is closed.
        assert!(R::connect("127.0.0.1", addr.port()).await.is_err());
    });
}

/// The body of a chunked event stream answer, as items; `Err` if it was cut before its last
/// chunk.
fn chunked_items(answer: &str) -> Result<Vec<Item>, String> {
    let (head, body) = answer.split_once("\r\n\r\n").ok_or("no head")?;
    assert!(head.contains("Transfer-Encoding: chunked"), "{head}");
    let config = ReadConfig::new().framing(Framing::Chunked);
    futures_lite::future::block_on(
        EventStream::with_config(body.as_bytes(), config).collect::<Vec<_>>(),
    )
    .into_iter()
    .map(|item| item.map_err(|error| error.to_string()))
    .collect()
}

/// A route's own stream of items: written in order, with the server's `retry` first, and
/// finished cleanly when the items end; the hook says so.
fn a_stream_of_its_own_ends_with_its_items<R: Rt>() {
    run::<R>(async {
        let hub = Hub::new(HubConfig::new());
        let (ended, why) = async_channel::bounded(4);
        let config = Config::new().retry(250);
        let (addr, _, _) = start::<R>(config, &hub, move |request: &Request| {
            let ended = ended.clone();
            let invalid = request.path() == "/invalid";
            let mut items = vec![
                Item::Event(Event::new("25%").event("progress").id("1")),
                Item::Comment("working".into()),
                Item::Retry(1000),
                Item::Event(Event::new("100%").event("progress")),
            ];
            if invalid {
                items.insert(2, Item::Event(Event::new("x").id("a\nb")));
            }
            Route::Events(
                Events::new(futures_lite::stream::iter(items)).on_end(move |end| {
                    let _ = ended.try_send(end);
                }),
            )
        });
        let answer = raw::<R>(addr, b"GET /job HTTP/1.1\r\nHost: a\r\n\r\n").await;
        assert_eq!(
            chunked_items(&answer),
            Ok(vec![
                Item::Retry(250),
                Item::Event(Event::new("25%").event("progress").id("1")),
                Item::Comment("working".into()),
                Item::Retry(1000),
                Item::Event(Event::new("100%").event("progress").last_event_id("1")),
            ])
        );
        assert_eq!(why.recv().await.unwrap(), End::Finished);
        // An event that cannot be encoded ends the stream there, cleanly.
        let answer = raw::<R>(addr, b"GET /invalid HTTP/1.1\r\nHost: a\r\n\r\n").await;
        let items = chunked_items(&answer).unwrap();
        assert_eq!(items.len(), 3, "{items:?}");
        assert_eq!(why.recv().await.unwrap(), End::Invalid);
    });
}

/// The end hook tells a client that went away from a server shut down.
fn the_end_hook_tells_why<R: Rt>() {
    run::<R>(async {
        let (ended, why) = async_channel::bounded(4);
        let config = Config::new().keep_alive(Some(Duration::from_millis(20)));
        let server = Server::<R>::bind("127.0.0.1:0", config, move |_: &Request| {
            let ended = ended.clone();
            let items = futures_lite::stream::once(Item::Comment("hello".into()))
                .chain(futures_lite::stream::pending());
            Route::Events(Events::new(items).on_end(move |end| {
                let _ = ended.try_send(end);
            }))
        })
        .unwrap();
        let addr = server.local_addr();
        let shutdown = server.shutdown_handle();
        R::spawn(async move {
            server.run().await.unwrap();
        });
        // A client that reads the first comment and goes.
        let mut socket = R::connect("127.0.0.1", addr.port()).await.unwrap();
        socket
            .write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            .await
            .unwrap();
        let mut seen = Vec::new();
        while !String::from_utf8_lossy(&seen).contains(": hello") {
            let mut buf = [0; 256];
            let n = socket.read(&mut buf).await.unwrap();
            assert_ne!(n, 0);
            seen.extend_from_slice(&buf[..n]);
        }
        drop(socket);
        // The keep-alives that follow find it gone.
        assert_eq!(why.recv().await.unwrap(), End::ClientGone);
        // One still there when the server shuts down.
        let reader = R::spawn_reader(addr);
        until::<R>(|| why.is_empty()).await;
        R::sleep(Duration::from_millis(50)).await;
        shutdown.shutdown();
        assert_eq!(why.recv().await.unwrap(), End::Shutdown);
        let answer = reader.recv().await.unwrap();
        assert!(answer.ends_with("\r\n0\r\n\r\n"), "{answer}");
    });
}

/// A hub route with a hook and a signal: the signal ends one connection's stream cleanly
/// while the hub goes on; the hook says why each stream ended (the signal, the client gone,
/// eviction, shutdown).
fn a_subscription_ends_on_its_signal_and_says_why<R: Rt>() {
    run::<R>(async {
        let hub = Hub::new(HubConfig::new().backlog(4));
        let (ended, why) = async_channel::unbounded();
        let (signal, signalled) = async_channel::bounded::<()>(1);
        let config = Config::new()
            .keep_alive(Some(Duration::from_millis(20)))
            .write_timeout(Duration::from_millis(500));
        let routed = hub.clone();
        let server = Server::<R>::bind("127.0.0.1:0", config, move |request: &Request| {
            let (ended, path) = (ended.clone(), request.path().to_owned());
            let subscribe = Subscribe::new(routed.clone()).on_end(move |end| {
                let _ = ended.try_send((path, end));
            });
            Route::Subscribe(match request.path() {
                "/until" => {
                    let signalled = signalled.clone();
                    subscribe.until(async move {
                        let _ = signalled.recv().await;
                    })
                }
                _ => subscribe,
            })
        })
        .unwrap();
        let addr = server.local_addr();
        let shutdown = server.shutdown_handle();
        R::spawn(async move {
            server.run().await.unwrap();
        });
        let (tx, ended_stream) = async_channel::bounded(1);
        R::spawn(async move {
            let answer = raw::<R>(addr, b"GET /until HTTP/1.1\r\nHost: x\r\n\r\n").await;
            let _ = tx.send(answer).await;
        });
        let url = format!("http://{addr}/events");
        let mut other = EventSource::new::<R>(&url, quick()).unwrap();
        assert_eq!(other.next().await.unwrap().unwrap(), Update::Open);
        until::<R>(|| hub.subscribers() == 2).await;
        hub.publish(Event::new("one")).unwrap();
        assert_eq!(next_event(&mut other).await.data, "one");
        signal.send(()).await.unwrap();
        let answer = ended_stream.recv().await.unwrap();
        assert!(answer.contains("data: one\n\n"), "{answer}");
        assert!(answer.ends_with("\r\n0\r\n\r\n"), "{answer}");
        assert_eq!(
            why.recv().await.unwrap(),
            ("/until".to_owned(), End::Finished)
        );
        // The hub and its other subscriber go on.
        hub.publish(Event::new("two")).unwrap();
        assert_eq!(next_event(&mut other).await.data, "two");
        other.close();
        assert_eq!(
            why.recv().await.unwrap(),
            ("/events".to_owned(), End::ClientGone)
        );
        // A subscriber that never reads falls behind and is evicted.
        let mut slow = R::connect("127.0.0.1", addr.port()).await.unwrap();
        slow.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        until::<R>(|| hub.subscribers() == 1).await;
        let data = "x".repeat(64 * 1024);
        while hub.subscribers() == 1 {
            hub.publish(Event::new(data.clone())).unwrap();
            R::sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(
            why.recv().await.unwrap(),
            ("/slow".to_owned(), End::Evicted)
        );
        // One still there at shutdown.
        let reader = R::spawn_reader(addr);
        until::<R>(|| hub.subscribers() == 1).await;
        shutdown.shutdown();
        assert_eq!(
            why.recv().await.unwrap(),
            ("/events".to_owned(), End::Shutdown)
        );
        assert!(reader.recv().await.unwrap().ends_with("\r\n0\r\n\r\n"));
        drop(slow);
    });
}

/// The server's and the hub's counters follow what happened.
fn counters_count<R: Rt>() {
    run::<R>(async {
        let hub = Hub::new(HubConfig::new().backlog(2));
        let events = hub.clone();
        let config = Config::new()
            .max_body(4)
            .keep_alive(Some(Duration::from_millis(20)));
        let server = Server::<R>::bind(
            "127.0.0.1:0",
            config,
            move |request: &Request| match request.path() {
                "/events" => Route::Stream(events.clone()),
                "/jobs" => Route::Reply(Reply::json("{}")),
                _ => Route::NotFound,
            },
        )
        .unwrap();
        let (addr, stats) = (server.local_addr(), server.stats());
        R::spawn(async move {
            server.run().await.unwrap();
        });
        for request in [
            "GET /jobs HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n",
            "POST /events HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /jobs HTTP/1.1\r\n\r\n",
            "POST /jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
        ] {
            raw::<R>(addr, request.as_bytes()).await;
        }
        let url = format!("http://{addr}/events");
        let mut source = EventSource::new::<R>(&url, quick()).unwrap();
        assert_eq!(source.next().await.unwrap().unwrap(), Update::Open);
        until::<R>(|| hub.subscribers() == 1).await;
        for data in ["a", "b", "c"] {
            hub.publish(Event::new(data)).unwrap();
            assert_eq!(next_event(&mut source).await.data, data);
        }
        // Counted once each write returns, which may be after the client read it.
        until::<R>(|| stats.snapshot().frames_written >= 3).await;
        let open = stats.snapshot();
        assert_eq!((open.streams, open.streams_open), (1, 1), "{open:?}");
        assert!(open.bytes_written > 30, "{open:?}");
        source.close();
        until::<R>(|| {
            let now = stats.snapshot();
            now.ended(End::ClientGone) == 1 && now.streams_open == 0
        })
        .await;
        let done = stats.snapshot();
        assert_eq!(done.accepted, 6, "{done:?}");
        assert_eq!(done.streams_open, 0, "{done:?}");
        for (status, count) in [(200, 1), (404, 1), (405, 1), (400, 1), (413, 1), (503, 0)] {
            assert_eq!(done.answered(status), count, "{status}: {done:?}");
        }
        // The hub: a resumption, a miss, an eviction.
        let resumed = hub.subscribe(Some("2"));
        let missed = hub.subscribe(Some("nope"));
        let _slow = hub.subscribe(None);
        for _ in 0..3 {
            hub.publish(Event::new("more")).unwrap();
        }
        hub.comment("note").unwrap();
        let counted = hub.stats();
        assert_eq!((counted.events, counted.comments), (6, 1), "{counted:?}");
        assert_eq!(
            (counted.subscriptions, counted.resumed, counted.misses),
            (4, 1, 1)
        );
        assert_eq!(counted.evictions, 3, "{counted:?}");
        assert_eq!(counted.retained, 6, "{counted:?}");
        drop((resumed, missed));
    });
}

/// A hub's comments reach every subscriber and stay out of the replay window.
fn hub_comments_are_live_only<R: Rt>() {
    run::<R>(async {
        let hub = Hub::new(HubConfig::new().replay_to_new(true));
        let (addr, _, _) = start::<R>(Config::new(), &hub, not_found);
        let url = format!("http://{addr}/events");
        let mut source = EventSource::new::<R>(&url, quick()).unwrap();
        assert_eq!(source.next().await.unwrap().unwrap(), Update::Open);
        until::<R>(|| hub.subscribers() == 1).await;
        hub.publish(Event::new("a")).unwrap();
        hub.comment("maintenance at noon\nsecond line").unwrap();
        hub.publish(Event::new("b")).unwrap();
        let mut got = Vec::new();
        while got.len() < 4 {
            got.push(source.next().await.unwrap().unwrap());
        }
        assert_eq!(
            got,
            [
                Update::Event(Event::new("a").id("1")),
                Update::Comment("maintenance at noon".into()),
                Update::Comment("second line".into()),
                Update::Event(Event::new("b").id("2")),
            ]
        );
        // A late subscriber replays the window: the events only.
        let mut late = hub.subscribe(None);
        let replayed = late.recv().await.unwrap();
        assert_eq!(&replayed[..], b"id: 1\ndata: a\n\nid: 2\ndata: b\n\n");
        hub.close();
        assert_eq!(
            hub.comment("too late"),
            Err(ssewire_futures::hub::PublishError::Closed)
        );
    });
}

/// A server of `hub`'s stream given one connection accepted here, outside its listener,
/// as `wrap` makes it; returns the server and the client's end once it is subscribed.
async fn serve_by_hand<R: Rt, C: ssewire_futures::server::Connection + 'static>(
    hub: &Hub,
    wrap: impl FnOnce(R::TcpStream) -> C,
) -> (Server<R>, R::TcpStream) {
    let events = hub.clone();
    let server = Server::<R>::bind("127.0.0.1:0", Config::new(), move |_: &Request| {
        Route::Stream(events.clone())
    })
    .unwrap();
    let own = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = own.local_addr().unwrap();
    let own = R::listener(own).unwrap();
    let mut client = R::connect("127.0.0.1", addr.port()).await.unwrap();
    let (stream, peer) = R::accept(&own).await.unwrap();
    R::spawn(server.serve_connection(wrap(stream), peer));
    client
        .write_all(b"GET /events HTTP/1.1\r\nHost: a\r\n\r\n")
        .await
        .unwrap();
    until::<R>(|| hub.subscribers() == 1).await;
    (server, client)
}

/// A connection accepted by hand, outside the server's listener, is served as its own are.
fn a_connection_accepted_elsewhere_is_served<R: Rt>() {
    run::<R>(async {
        let hub = Hub::new(HubConfig::new());
        let (server, mut client) = serve_by_hand::<R, _>(&hub, |stream| stream).await;
        assert_eq!(server.connections(), 1);
        hub.publish(Event::new("by hand")).unwrap();
        let mut seen = Vec::new();
        while !String::from_utf8_lossy(&seen).contains("data: by hand\n\n") {
            let mut buf = [0; 256];
            let n = client.read(&mut buf).await.unwrap();
            assert_ne!(n, 0, "{:?}", String::from_utf8_lossy(&seen));
            seen.extend_from_slice(&buf[..n]);
        }
        assert!(seen.starts_with(b"HTTP/1.1 200 OK\r\n"));
    });
}

/// A connection that counts the writes made to it.
struct Counting<S> {
    io: S,
    writes: Arc<std::sync::atomic::AtomicUsize>,
}

impl<S: futures_lite::AsyncRead + Unpin> futures_lite::AsyncRead for Counting<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut [u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<S: futures_lite::AsyncWrite + Unpin> futures_lite::AsyncWrite for Counting<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let written = std::pin::Pin::new(&mut self.io).poll_write(cx, buf);
        if written.is_ready() {
            self.writes
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        written
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let written = std::pin::Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if written.is_ready() {
            self.writes
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        written
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_close(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_close(cx)
    }
}

fn each_frame_is_one_write<R: Rt>() {
    run::<R>(async {
        let hub = Hub::new(HubConfig::new());
        let writes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = writes.clone();
        let wrap = |io| Counting {
            io,
            writes: counted,
        };
        let (_server, mut client) = serve_by_hand::<R, _>(&hub, wrap).await;
        for n in 0..20 {
            hub.publish(Event::new(format!("event {n}"))).unwrap();
            // One at a time: each its own chunk, not several queued together.
            until::<R>(|| writes.load(std::sync::atomic::Ordering::Relaxed) >= n + 2).await;
        }
        let mut seen = Vec::new();
        while !String::from_utf8_lossy(&seen).contains("data: event 19\n\n\r\n") {
            let mut buf = [0; 4096];
            let n = client.read(&mut buf).await.unwrap();
            assert_ne!(n, 0, "{:?}", String::from_utf8_lossy(&seen));
            seen.extend_from_slice(&buf[..n]);
        }
        // The head, then the chunk header, the frame and its CRLF of each event in one write.
        assert_eq!(writes.load(std::sync::atomic::Ordering::Relaxed), 21);
        let seen = String::from_utf8_lossy(&seen);
        let first = "id: 1\ndata: event 0\n\n";
        let chunk = format!("\r\n\r\n{:x}\r\n{first}\r\n", first.len());
        assert!(seen.contains(&chunk), "{seen}");
    });
}

/// Reads a stream until the server closes it, in a task; the answer comes on the channel.
trait SpawnReader {
    fn spawn_reader(addr: SocketAddr) -> async_channel::Receiver<String>;
}

impl<R: Rt> SpawnReader for R {
    fn spawn_reader(addr: SocketAddr) -> async_channel::Receiver<String> {
        let (tx, rx) = async_channel::bounded(1);
        R::spawn(async move {
            let answer = raw::<R>(addr, b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n").await;
            let _ = tx.send(answer).await;
        });
        rx
    }
}

fn thousand_subscribers<R: Rt>() {
    run::<R>(async {
        const CLIENTS: usize = 1000;
        const EVENTS: usize = 10;
        let hub = Hub::new(HubConfig::new());
        let (addr, _, _) = start::<R>(Config::new(), &hub, not_found);
        let url = format!("http://{addr}/events");
        let (results, collected) = async_channel::unbounded();
        for _ in 0..CLIENTS {
            let url = url.clone();
            let results = results.clone();
            R::spawn(async move {
                let limits = ssewire::parse::Limits::DEFAULT.data(1024);
                let config = quick().buffer(1024).limits(limits);
                let mut source = EventSource::new::<R>(&url, config).unwrap();
                let mut got = Vec::new();
                while got.len() < EVENTS {
                    match source.next().await {
                        Some(Ok(Update::Event(event))) => got.push(event.data),
                        Some(_) => {}
                        None => break,
                    }
                }
                let _ = results.send(got).await;
            });
        }
        until::<R>(|| hub.subscribers() == CLIENTS).await;
        for n in 0..EVENTS {
            hub.publish(Event::new(format!("event {n}"))).unwrap();
        }
        let expected: Vec<String> = (0..EVENTS).map(|n| format!("event {n}")).collect();
        for _ in 0..CLIENTS {
            assert_eq!(collected.recv().await.unwrap(), expected);
        }
    });
}

/// A connector that sends every connection to one address, whatever the URL's host: the
/// way a TLS or proxy connector plugs in.
struct Fixed<R> {
    port: u16,
    hosts: Arc<Mutex<Vec<String>>>,
    runtime: std::marker::PhantomData<fn() -> R>,
}

impl<R: Rt> Connector for Fixed<R> {
    type Stream = R::TcpStream;

    fn connect(
        &self,
        target: &Target<'_>,
    ) -> impl Future<Output = std::io::Result<R::TcpStream>> + Send + 'static {
        self.hosts
            .lock()
            .unwrap()
            .push(target.url.authority.to_owned());
        R::connect("127.0.0.1", self.port)
    }
}

fn custom_connector<R: Rt>() {
    run::<R>(async {
        let hub = Hub::new(HubConfig::new());
        let (addr, _, seen) = start::<R>(Config::new(), &hub, not_found);
        let hosts = Arc::new(Mutex::new(Vec::new()));
        let connector = Fixed::<R> {
            port: addr.port(),
            hosts: hosts.clone(),
            runtime: std::marker::PhantomData,
        };
        let url = "http://sse.invalid:8443/events";
        let mut source = EventSource::with_connector::<R, _>(url, quick(), connector).unwrap();
        assert_eq!(source.next().await.unwrap().unwrap(), Update::Open);
        hub.publish(Event::new("through the connector")).unwrap();
        assert_eq!(next_event(&mut source).await.data, "through the connector");
        assert_eq!(*hosts.lock().unwrap(), ["sse.invalid:8443"]);
        assert_eq!(seen.lock().unwrap()[0].target, "/events");
    });
}

/// The head a server answers `request` with.
async fn head_of<R: Rt>(addr: SocketAddr, request: &str) -> String {
    let mut socket = R::connect("127.0.0.1", addr.port()).await.unwrap();
    socket.write_all(request.as_bytes()).await.unwrap();
    let head = common::read_head(&mut socket).await;
    String::from_utf8(head.unwrap_or_else(|partial| partial)).unwrap()
}

fn partner(origin: &str) -> bool {
    origin.ends_with(".partner.example")
}

/// CORS: off by default; with a policy, an allowed origin (from a list, or a predicate) is
/// named back with `Vary: Origin` (and credentials), on streams and replies; another gets no
/// CORS headers; a preflight is answered `204` with the methods, headers and max age, or
/// `403`, and never reaches the router.
fn cors_allows_listed_origins<R: Rt>() {
    run::<R>(async {
        let hub = Hub::new(HubConfig::new());
        let reply = |request: &Request| match request.path() {
            "/jobs" => Route::Reply(Reply::json("{}")),
            _ => Route::NotFound,
        };
        let (plain, _, _) = start::<R>(Config::new(), &hub, reply);
        let list = CorsPolicy::list(&["https://app.example"]).credentials(true);
        let (listed, _, seen) = start::<R>(Config::new().cors(list), &hub, reply);
        let (any, _, _) = start::<R>(Config::new().cors(CorsPolicy::any()), &hub, reply);
        let predicate = CorsPolicy::predicate(partner).max_age(60);
        let (by_predicate, _, _) = start::<R>(Config::new().cors(predicate), &hub, reply);
        let get = |path: &str, origin: &str| {
            format!("GET {path} HTTP/1.1\r\nHost: a\r\nOrigin: {origin}\r\n\r\n")
        };
        for path in ["/events", "/jobs"] {
            for (addr, origin, allowed) in [
                (plain, "https://app.example", None),
                (listed, "https://app.example", Some("https://app.example")),
                (listed, "https://evil.example", None),
                (any, "https://evil.example", Some("*")),
                (
                    by_predicate,
                    "https://a.partner.example",
                    Some("https://a.partner.example"),
                ),
                (by_predicate, "https://partner.example.evil", None),
            ] {
                let head = head_of::<R>(addr, &get(path, origin)).await;
                assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
                let named = head
                    .lines()
                    .find_map(|line| line.strip_prefix("Access-Control-Allow-Origin: "));
                assert_eq!(named, allowed, "{path} {origin}: {head}");
                let vary = allowed.is_some_and(|allowed| allowed != "*");
                assert_eq!(head.contains("\r\nVary: Origin\r\n"), vary, "{head}");
                let credentials = head.contains("\r\nAccess-Control-Allow-Credentials: true\r\n");
                assert_eq!(credentials, addr == listed && vary, "{head}");
            }
        }
        let preflight = |origin: &str| {
            format!(
                "OPTIONS /jobs HTTP/1.1\r\nHost: a\r\nOrigin: {origin}\r\n\
                 Access-Control-Request-Method: POST\r\n\
                 Access-Control-Request-Headers: authorization, content-type\r\n\r\n"
            )
        };
        let routed = seen.lock().unwrap().len();
        let head = head_of::<R>(listed, &preflight("https://app.example")).await;
        assert!(head.starts_with("HTTP/1.1 204 No Content\r\n"), "{head}");
        for line in [
            "Access-Control-Allow-Origin: https://app.example",
            "Vary: Origin",
            "Access-Control-Allow-Credentials: true",
            "Access-Control-Allow-Methods: GET, POST",
            "Access-Control-Allow-Headers: Authorization, Content-Type, Last-Event-ID, Cache-Control",
            "Access-Control-Max-Age: 600",
        ] {
            assert!(head.contains(&format!("\r\n{line}\r\n")), "{line}: {head}");
        }
        let head = head_of::<R>(listed, &preflight("https://evil.example")).await;
        assert!(head.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{head}");
        assert!(!head.contains("Access-Control-Allow-Origin"), "{head}");
        assert_eq!(
            seen.lock().unwrap().len(),
            routed,
            "a preflight reached the router"
        );
        let head = head_of::<R>(by_predicate, &preflight("https://b.partner.example")).await;
        assert!(
            head.contains("\r\nAccess-Control-Max-Age: 60\r\n"),
            "{head}"
        );
        // Without a policy, OPTIONS is the router's (here the reply of /jobs, whatever the
        // method), without CORS headers.
        let head = head_of::<R>(plain, &preflight("https://app.example")).await;
        assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
        assert!(!head.contains("Access-Control-"), "{head}");
    });
}

/// What a [`scripted`] server does with one connection: writes `bytes`, then closes the
/// connection if `close`, or holds it open, silent, until the client drops it.
struct Answer {
    bytes: String,
    close: bool,
}

const SSE_HEAD: &str = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n";

fn answer(events: &str, close: bool) -> Answer {
    Answer {
        bytes: format!("{SSE_HEAD}{events}"),
        close,
    }
}

/// A server written in the test: answers its n-th connection with `answers[n]` and records
/// each request as it came, head and body (`Content-Length` bytes).
fn scripted<R: Rt>(answers: Vec<Answer>) -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let listener = R::listener(listener).unwrap();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let log = requests.clone();
    R::spawn(async move {
        for answer in answers {
            let (mut socket, _) = R::accept(&listener).await.unwrap();
            let mut request = common::read_head(&mut socket).await.unwrap();
            let head = String::from_utf8(request.clone()).unwrap();
            let length = head
                .lines()
                .find_map(|line| line.strip_prefix("Content-Length: "))
                .map_or(0, |n| n.parse().unwrap());
            let mut body = vec![0; length];
            socket.read_exact(&mut body).await.unwrap();
            request.extend(body);
            log.lock()
                .unwrap()
                .push(String::from_utf8(request).unwrap());
            socket.write_all(answer.bytes.as_bytes()).await.unwrap();
            if !answer.close {
                R::spawn(async move {
                    let _ = socket.read(&mut [0; 16]).await;
                });
            }
        }
    });
    (addr, requests)
}

/// The next update that is not a wait, failing on errors.
async fn next_update(source: &mut EventSource) -> Update {
    loop {
        match source.next().await {
            Some(Ok(Update::Reconnecting(_))) => {}
            Some(Ok(update)) => return update,
            Some(Err(error)) => panic!("unexpected error {error:?}"),
            None => panic!("stream ended: {:?}", source.failure()),
        }
    }
}

fn a_post_body_is_sent_on_every_connection<R: Rt>() {
    run::<R>(async {
        let (addr, requests) = scripted::<R>(vec![
            answer("id: 1\ndata: a\n\n", true),
            answer("id: 2\ndata: b\n\n", false),
        ]);
        let body = r#"{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true}"#;
        let config = quick()
            .method("POST")
            .header("Content-Type", "application/json")
            .body(body);
        let url = format!("http://{addr}/v1/chat");
        let mut source = EventSource::new::<R>(&url, config).unwrap();
        for data in ["a", "b"] {
            assert_eq!(next_update(&mut source).await, Update::Open);
            assert_eq!(next_event(&mut source).await.data, data);
        }
        let requests = requests.lock().unwrap().clone();
        // Compressed streams are asked for when they can be decoded (feature gzip).
        let codings = if cfg!(feature = "gzip") {
            "Accept-Encoding: gzip, deflate\r\n"
        } else {
            ""
        };
        let request = |id: &str| {
            format!(
                "POST /v1/chat HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\
                 Cache-Control: no-cache\r\n{id}Content-Length: {}\r\n{codings}\
                 Content-Type: application/json\r\n\r\n{body}",
                body.len()
            )
        };
        assert_eq!(requests, [request(""), request("Last-Event-ID: 1\r\n")]);
    });
}

fn a_silent_stream_reconnects_after_the_read_timeout<R: Rt>() {
    run::<R>(async {
        let (addr, requests) = scripted::<R>(vec![
            answer("retry: 50\nid: 5\ndata: then silence\n\n", false),
            answer("data: again\n\n", false),
        ]);
        let config = quick()
            .jitter_percent(0)
            .read_timeout(Some(Duration::from_millis(300)));
        let url = format!("http://{addr}/events");
        let mut source = EventSource::new::<R>(&url, config).unwrap();
        assert_eq!(next_update(&mut source).await, Update::Open);
        assert_eq!(next_event(&mut source).await.data, "then silence");
        let stalled = Instant::now();
        match source.next().await {
            Some(Err(ClientError::Session(ssewire::client::Error::ReadTimeout))) => {}
            other => panic!("{other:?}"),
        }
        assert!(stalled.elapsed() >= Duration::from_millis(300));
        // The wait left when it is reported: the reconnection time, less a few ms.
        match source.next().await.unwrap().unwrap() {
            Update::Reconnecting(wait) => {
                let retry = Duration::from_millis(50);
                assert!(
                    wait <= retry && wait + Duration::from_millis(20) >= retry,
                    "{wait:?}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(next_update(&mut source).await, Update::Open);
        assert_eq!(next_event(&mut source).await.data, "again");
        let requests = requests.lock().unwrap().clone();
        assert!(!requests[0].contains("Last-Event-ID"), "{requests:?}");
        assert!(
            requests[1].contains("\r\nLast-Event-ID: 5\r\n"),
            "{requests:?}"
        );
    });
}

fn restart_reconnects_at_once<R: Rt>() {
    run::<R>(async {
        let (addr, requests) = scripted::<R>(vec![
            answer("id: 3\ndata: first\n\n", false),
            answer("data: second\n\n", false),
        ]);
        // A reconnection time of a minute: only a restart brings the second stream soon.
        let config = quick().initial_delay(Duration::from_secs(60));
        let url = format!("http://{addr}/events");
        let mut source = EventSource::new::<R>(&url, config).unwrap();
        assert_eq!(next_update(&mut source).await, Update::Open);
        assert_eq!(next_event(&mut source).await.data, "first");
        source.restart();
        assert_eq!(source.next().await.unwrap().unwrap(), Update::Open);
        assert_eq!(next_event(&mut source).await.data, "second");
        let requests = requests.lock().unwrap().clone();
        assert!(
            requests[1].contains("\r\nLast-Event-ID: 3\r\n"),
            "{requests:?}"
        );
        // A closed source stays closed.
        source.close();
        source.restart();
        assert!(source.next().await.is_none());
    });
}

/// A broken chunked framing (a size that is no number, one over `u64::MAX`) is a typed error
/// item before the client reconnects, never a silent reconnection.
fn a_broken_chunked_framing_is_reported<R: Rt>() {
    run::<R>(async {
        let chunked = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
                       Transfer-Encoding: chunked\r\n\r\n";
        let (addr, _) = scripted::<R>(vec![
            Answer {
                bytes: format!("{chunked}b\r\ndata: one\n\n\r\nzz\r\n"),
                close: false,
            },
            Answer {
                bytes: format!("{chunked}{}\r\n", "f".repeat(17)),
                close: false,
            },
            answer("data: fine\n\n", false),
        ]);
        let url = format!("http://{addr}/events");
        let mut source = EventSource::new::<R>(&url, quick()).unwrap();
        assert_eq!(next_update(&mut source).await, Update::Open);
        assert_eq!(next_event(&mut source).await.data, "one");
        for expected in [ChunkedError::MalformedSize, ChunkedError::SizeOverflow] {
            loop {
                match source.next().await.unwrap() {
                    Err(ClientError::Session(ssewire::client::Error::Body(error))) => {
                        assert_eq!(error, expected);
                        break;
                    }
                    Ok(Update::Open | Update::Reconnecting(_)) => {}
                    other => panic!("{other:?}"),
                }
            }
        }
        assert_eq!(next_event(&mut source).await.data, "fine");
    });
}

macro_rules! on_runtime {
    ($runtime:ident, $feature:literal, $rt:ty) => {
        #[cfg(feature = $feature)]
        mod $runtime {
            type R = $rt;

            #[test]
            fn exchange() {
                super::exchange::<R>();
            }
            #[test]
            fn a_broken_chunked_framing_is_reported() {
                super::a_broken_chunked_framing_is_reported::<R>();
            }
            #[test]
            fn reconnect_resumes_exactly_once() {
                super::reconnect_resumes_exactly_once::<R>();
            }
            #[test]
            fn topics_on_one_stream() {
                super::topics_on_one_stream::<R>();
            }
            #[test]
            fn retry_is_honoured() {
                super::retry_is_honoured::<R>();
            }
            #[test]
            fn no_content_stops() {
                super::no_content_stops::<R>();
            }
            #[test]
            fn error_status_and_content_type_fail() {
                super::error_status_and_content_type_fail::<R>();
            }
            #[test]
            fn redirect_is_followed() {
                super::redirect_is_followed::<R>();
            }
            #[test]
            fn slow_subscriber_is_evicted() {
                super::slow_subscriber_is_evicted::<R>();
            }
            #[test]
            fn bad_requests_are_answered() {
                super::bad_requests_are_answered::<R>();
            }
            #[test]
            fn reply_to_a_request_with_a_body() {
                super::reply_to_a_request_with_a_body::<R>();
            }
            #[test]
            fn an_async_router_checks_a_token() {
                super::an_async_router_checks_a_token::<R>();
            }
            #[test]
            fn ambiguous_requests_are_400() {
                super::ambiguous_requests_are_400::<R>();
            }
            #[test]
            fn the_router_sees_every_header() {
                super::the_router_sees_every_header::<R>();
            }
            #[test]
            fn a_stream_of_its_own_ends_with_its_items() {
                super::a_stream_of_its_own_ends_with_its_items::<R>();
            }
            #[test]
            fn the_end_hook_tells_why() {
                super::the_end_hook_tells_why::<R>();
            }
            #[test]
            fn a_subscription_ends_on_its_signal_and_says_why() {
                super::a_subscription_ends_on_its_signal_and_says_why::<R>();
            }
            #[test]
            fn counters_count() {
                super::counters_count::<R>();
            }
            #[test]
            fn hub_comments_are_live_only() {
                super::hub_comments_are_live_only::<R>();
            }
            #[test]
            fn a_connection_accepted_elsewhere_is_served() {
                super::a_connection_accepted_elsewhere_is_served::<R>();
            }
            #[test]
            fn slow_head_is_dropped() {
                super::slow_head_is_dropped::<R>();
            }
            #[test]
            fn slow_heads_do_not_take_the_places_of_real_clients() {
                super::slow_heads_do_not_take_the_places_of_real_clients::<R>();
            }
            #[test]
            fn each_frame_is_one_write() {
                super::each_frame_is_one_write::<R>();
            }
            #[test]
            fn over_capacity_is_503() {
                super::over_capacity_is_503::<R>();
            }
            #[test]
            fn keep_alive_on_idle_stream() {
                super::keep_alive_on_idle_stream::<R>();
            }
            #[test]
            fn shutdown_ends_streams() {
                super::shutdown_ends_streams::<R>();
            }
            #[test]
            fn custom_connector() {
                super::custom_connector::<R>();
            }
            #[test]
            fn cors_allows_listed_origins() {
                super::cors_allows_listed_origins::<R>();
            }
            #[test]
            fn thousand_subscribers() {
                super::thousand_subscribers::<R>();
            }
            #[test]
            fn a_post_body_is_sent_on_every_connection() {
                super::a_post_body_is_sent_on_every_connection::<R>();
            }
            #[test]
            fn a_silent_stream_reconnects_after_the_read_timeout() {
                super::a_silent_stream_reconnects_after_the_read_timeout::<R>();
            }
            #[test]
            fn restart_reconnects_at_once() {
                super::restart_reconnects_at_once::<R>();
            }
        }
    };
}

on_runtime!(smol_runtime, "smol", ssewire_futures::rt::Smol);
on_runtime!(
    async_std_runtime,
    "async-std",
    ssewire_futures::rt::AsyncStd
);

#[test]
fn connection_limits_follow_the_limit_of_open_files() {
    use ssewire_futures::server::Limits;

    let limits = |config: &Config, files| {
        let limits = Limits::derive(config, files);
        (limits.max_connections, limits.max_pending)
    };
    let default = Config::new();
    // This machine's `ulimit -n`: 10,000 streams out of the box.
    assert_eq!(limits(&default, Some(20_000)), (14_952, 4_984));
    assert_eq!(limits(&default, Some(1_024)), (720, 240));
    assert_eq!(limits(&default, None), (4_096, 8_192));
    assert_eq!(limits(&default, Some(10)), (3, 1));
    assert_eq!(
        limits(&default.max_connections(100), Some(1_024)),
        (100, 860)
    );
    let set = default.max_connections(7).max_pending(9);
    assert_eq!(limits(&set, Some(1_024)), (7, 9));
    assert_eq!(limits(&set, None), (7, 9));

    // A server derives them from this process's soft limit (Linux: /proc/self/limits).
    #[cfg(feature = "smol")]
    let soft = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| {
            let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
            line.split_whitespace().nth(3)?.parse::<u64>().ok()
        });
    #[cfg(feature = "smol")]
    if let Some(soft) = soft {
        let server =
            Server::<ssewire_futures::rt::Smol>::bind("127.0.0.1:0", default, |_| Route::NotFound)
                .unwrap();
        assert_eq!(server.limits(), Limits::derive(&default, Some(soft)));
    }
}
