//! The `tracing` events (feature `tracing`), on smol and on async-std, collected by a
//! subscriber written here: requests, answers, streams opened and why they ended, and the
//! client's connections.

#![cfg(feature = "tracing")]

mod common;

use std::fmt::{self, Write as _};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_lite::StreamExt;
use ssewire_futures::client::{Config as ClientConfig, EventSource, Update};
use ssewire_futures::server::{Config, Request, Route, Server};
use ssewire_futures::{Event, Hub, HubConfig};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Metadata, Subscriber};

use common::{run, Rt};

/// Every event as `LEVEL field=value ...`, and every span's name.
#[derive(Clone, Default)]
struct Collect(Arc<Mutex<Vec<String>>>);

struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
}

impl Subscriber for Collect {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut line = Line(format!("SPAN {}", span.metadata().name()));
        span.record(&mut line);
        self.0.lock().unwrap().push(line.0);
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut line = Line(event.metadata().level().to_string());
        event.record(&mut line);
        self.0.lock().unwrap().push(line.0);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

impl Collect {
    /// Waits until a line has every piece of `pieces`.
    async fn saw<R: Rt>(&self, pieces: &[&str]) {
        loop {
            let found = {
                let lines = self.0.lock().unwrap();
                lines
                    .iter()
                    .any(|line| pieces.iter().all(|p| line.contains(p)))
            };
            if found {
                return;
            }
            R::sleep(Duration::from_millis(5)).await;
        }
    }
}

fn traced<R: Rt>(collect: &Collect) {
    run::<R>(async {
        let hub = Hub::new(HubConfig::new());
        let events = hub.clone();
        let config = Config::new().keep_alive(Some(Duration::from_millis(20)));
        let server = Server::<R>::bind(
            "127.0.0.1:0",
            config,
            move |request: &Request| match request.path() {
                "/events" => Route::Stream(events.clone()),
                _ => Route::NotFound,
            },
        )
        .unwrap();
        let addr = server.local_addr();
        R::spawn(async move {
            server.run().await.unwrap();
        });
        let url = format!("http://{addr}/events");
        let mut source = EventSource::new::<R>(&url, ClientConfig::new()).unwrap();
        assert_eq!(source.next().await.unwrap().unwrap(), Update::Open);
        while hub.subscribers() == 0 {
            R::sleep(Duration::from_millis(5)).await;
        }
        hub.publish(Event::new("traced")).unwrap();
        assert!(matches!(source.next().await, Some(Ok(Update::Event(_)))));
        source.close();
        let missing = format!("http://{addr}/missing");
        let mut refused = EventSource::new::<R>(&missing, ClientConfig::new()).unwrap();
        assert!(refused.next().await.is_none());
        let port = addr.port().to_string();
        collect
            .saw::<R>(&["SPAN connection", "peer=127.0.0.1:"])
            .await;
        collect.saw::<R>(&["DEBUG", "connecting", &port]).await;
        collect
            .saw::<R>(&["DEBUG", "request", "target=/events"])
            .await;
        collect.saw::<R>(&["DEBUG", "stream open"]).await;
        collect
            .saw::<R>(&["DEBUG", "stream ended", "why=ClientGone"])
            .await;
        collect.saw::<R>(&["DEBUG", "answered", "status=404"]).await;
    });
}

/// One global subscriber for the process, both runtimes in turn.
#[test]
fn events_are_traced_on_both_runtimes() {
    let collect = Collect::default();
    tracing::subscriber::set_global_default(collect.clone()).unwrap();
    #[cfg(feature = "smol")]
    traced::<ssewire_futures::rt::Smol>(&collect);
    #[cfg(feature = "async-std")]
    traced::<ssewire_futures::rt::AsyncStd>(&collect);
}
