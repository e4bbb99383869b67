//! A ssewire [`Hub`] served by hyper 1.x directly: `GET /events` is the hub's stream (replay
//! after `Last-Event-ID`, then live events, keep-alives when idle), `POST /publish` publishes
//! its body as an event, `GET /` is a page that shows the stream.
//!
//! ```text
//! cargo run -p ssewire-examples --bin mount-hyper -- --addr 127.0.0.1:8080
//! curl -d 'hello' http://127.0.0.1:8080/publish
//! ```
//!
//! The stream's body is an `http-body` [`StreamBody`] over [`Hub::frames`]: each data frame is
//! the hub's shared frame, wrapped by `Bytes::from_owner` without a copy.

use std::convert::Infallible;

use bytes::Bytes;
use futures_lite::StreamExt;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use ssewire_examples::mount::{self, Options};
use ssewire_futures::rt::Smol;
use ssewire_futures::{Event, Hub};

/// Any body: the stream, or a small one. A stream ends with an error when its subscriber
/// falls behind: hyper then drops the connection, and the client resumes after its last id.
type Body = BoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

/// The most a `POST /publish` may carry.
const MAX_EVENT: usize = 64 * 1024;

fn plain(status: StatusCode, text: impl Into<Bytes>) -> Response<Body> {
    let body = Full::new(text.into()).map_err(|never: Infallible| match never {});
    let mut response = Response::new(body.boxed());
    *response.status_mut() = status;
    response
}

/// The hub's stream, from after the request's `Last-Event-ID`.
fn events(hub: &Hub, options: &Options, request: &Request<Incoming>) -> Response<Body> {
    let last_event_id = request
        .headers()
        .get("last-event-id")
        .and_then(|value| value.to_str().ok());
    let frames = hub
        .frames::<Smol>(last_event_id)
        .keep_alive(options.keep_alive())
        .map(|chunk| chunk.map(|frames| Frame::data(Bytes::from_owner(frames))));
    let body = StreamBody::new(frames).map_err(Into::into);
    let mut response = Response::new(BodyExt::boxed(body));
    *response.headers_mut() = mount::stream_headers();
    response
}

async fn route(hub: Hub, options: Options, request: Request<Incoming>) -> Response<Body> {
    match (request.method(), request.uri().path()) {
        (&Method::GET, "/events") => events(&hub, &options, &request),
        (&Method::GET, "/") => {
            let mut page = plain(StatusCode::OK, mount::PAGE);
            let html = http::HeaderValue::from_static("text/html; charset=utf-8");
            page.headers_mut().insert(http::header::CONTENT_TYPE, html);
            page
        }
        (&Method::POST, "/publish") => {
            let body = Limited::new(request.into_body(), MAX_EVENT).collect().await;
            let Ok(body) = body else {
                return plain(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "an event of at most 64 KiB\n",
                );
            };
            let Ok(data) = String::from_utf8(body.to_bytes().to_vec()) else {
                return plain(StatusCode::BAD_REQUEST, "an event is UTF-8 text\n");
            };
            match hub.publish(Event::new(data)) {
                Ok(id) => plain(StatusCode::OK, id),
                Err(error) => plain(StatusCode::SERVICE_UNAVAILABLE, error.to_string()),
            }
        }
        (_, "/events" | "/" | "/publish") => plain(StatusCode::METHOD_NOT_ALLOWED, ""),
        _ => plain(StatusCode::NOT_FOUND, ""),
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let options = mount::parse("mount-hyper");
    let hub = Hub::new(options.hub());
    let listener = tokio::net::TcpListener::bind(options.addr).await?;
    ssewire_examples::print_listening(listener.local_addr()?);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = tokio::signal::ctrl_c() => break,
        };
        let (tcp, _) = match accepted {
            Ok(accepted) => accepted,
            // Out of descriptors, say: the next accept may work.
            Err(error) => {
                eprintln!("mount-hyper: accept: {error}");
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let hub = hub.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let (hub, options) = (hub.clone(), options);
                async move { Ok::<_, Infallible>(route(hub, options, request).await) }
            });
            // A client gone mid-stream is an error here: nothing to do but drop it.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service)
                .await;
        });
    }
    // Every stream ends cleanly.
    hub.close();
    Ok(())
}
