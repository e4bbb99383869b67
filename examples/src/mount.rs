//! What `mount-axum` and `mount-hyper` share: their flags, their page, the stream's head.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use http::{HeaderMap, HeaderName, HeaderValue};
use ssewire_futures::http::STREAM_HEADERS;
use ssewire_futures::HubConfig;

/// The flags of a mount example.
#[derive(Clone, Copy, Debug, Parser)]
#[command(about = "A ssewire Hub mounted in another framework: GET /events, POST /publish, GET /")]
pub struct Options {
    /// The address to listen on (port 0: any free port, printed on stdout).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Milliseconds between keep-alive comments on an idle stream (0: none).
    #[arg(long, default_value_t = 15_000)]
    pub keep_alive_ms: u64,
    /// Events kept for clients that come back with a `Last-Event-ID`.
    #[arg(long, default_value_t = 1024)]
    pub replay: usize,
}

impl Options {
    /// The keep-alive interval, if any.
    #[must_use]
    pub fn keep_alive(&self) -> Option<Duration> {
        (self.keep_alive_ms > 0).then(|| Duration::from_millis(self.keep_alive_ms))
    }

    /// The hub these flags ask for.
    pub fn hub(&self) -> HubConfig {
        HubConfig::new().replay(self.replay, 1024 * 1024)
    }
}

/// The command line of `program`; on a bad one, the usage and exit status 2.
#[must_use]
pub fn parse(program: &str) -> Options {
    Options::parse_from(std::iter::once(program.to_owned()).chain(std::env::args().skip(1)))
}

/// The head fields of an event stream (the core's [`STREAM_HEADERS`]) as an `http` header
/// map: what axum's and hyper's response carries.
#[must_use]
pub fn stream_headers() -> HeaderMap {
    STREAM_HEADERS
        .iter()
        .filter_map(|&(name, value)| {
            let name = HeaderName::from_bytes(name.as_bytes()).ok()?;
            Some((name, HeaderValue::from_static(value)))
        })
        .collect()
}

/// A page that shows the stream and publishes what is typed.
pub const PAGE: &str = r#"<!doctype html>
<meta charset="utf-8">
<title>ssewire, mounted</title>
<form id="say"><input id="text" autofocus placeholder="an event"> <button>publish</button></form>
<ol id="events"></ol>
<script>
  const events = new EventSource("/events");
  events.onmessage = (event) => {
    const item = document.createElement("li");
    item.textContent = `${event.lastEventId}: ${event.data}`;
    document.getElementById("events").append(item);
  };
  document.getElementById("say").onsubmit = (submit) => {
    submit.preventDefault();
    const text = document.getElementById("text");
    fetch("/publish", { method: "POST", body: text.value });
    text.value = "";
  };
</script>
"#;
