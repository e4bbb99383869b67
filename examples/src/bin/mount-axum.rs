//! A ssewire [`Hub`] mounted in an axum application: `GET /events` is the hub's stream
//! (replay after `Last-Event-ID`, then live events, keep-alives when idle), `POST /publish`
//! publishes its body as an event, `GET /` is a page that shows the stream.
//!
//! ```text
//! cargo run -p ssewire-examples --bin mount-axum -- --addr 127.0.0.1:8080
//! curl -d 'hello' http://127.0.0.1:8080/publish
//! ```
//!
//! The body of the stream is [`Hub::frames`]: the hub's shared frames, handed to axum with
//! `Bytes::from_owner`, so a frame is encoded once and never copied per subscriber. axum (on
//! hyper) frames the body: chunked on HTTP/1.1.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use futures_lite::StreamExt;
use ssewire_examples::mount::{self, Options};
use ssewire_futures::rt::Smol;
use ssewire_futures::{Event, Hub};

#[derive(Clone)]
struct App {
    hub: Hub,
    options: Options,
}

/// The hub's stream, from after the request's `Last-Event-ID`.
async fn events(State(app): State<App>, headers: HeaderMap) -> Response {
    let last_event_id = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok());
    let frames = app
        .hub
        .frames::<Smol>(last_event_id)
        .keep_alive(app.options.keep_alive())
        .map(|chunk| chunk.map(Bytes::from_owner));
    (mount::stream_headers(), Body::from_stream(frames)).into_response()
}

/// Publishes the request body as an event; answers its id.
async fn publish(State(app): State<App>, data: String) -> impl IntoResponse {
    match app.hub.publish(Event::new(data)) {
        Ok(id) => (StatusCode::OK, id),
        Err(error) => (StatusCode::SERVICE_UNAVAILABLE, error.to_string()),
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let options = mount::parse("mount-axum");
    let hub = Hub::new(options.hub());
    let app = Router::new()
        .route("/", get(|| async { Html(mount::PAGE) }))
        .route("/events", get(events))
        .route("/publish", post(publish))
        .with_state(App {
            hub: hub.clone(),
            options,
        });
    let listener = tokio::net::TcpListener::bind(options.addr).await?;
    let addr: SocketAddr = listener.local_addr()?;
    ssewire_examples::print_listening(addr);
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = tokio::signal::ctrl_c().await;
            // Every stream ends cleanly; then axum stops.
            hub.close();
        })
        .await
}
