//! The operating system's store as roots (feature `native-roots`), read through
//! `SSL_CERT_FILE` as rustls-native-certs does, pointed at a CA made here: trusted through it,
//! refused without it. A binary of its own: it sets the process's environment.

#![cfg(all(feature = "native-roots", feature = "smol"))]

mod common;

use futures_lite::StreamExt;
use ssewire_futures::client::{CertificateProblem, Config, EventSource, TcpTls, TlsConfig, Update};
use ssewire_futures::rt::Smol;

use common::run;
use common::tls::{server, Ca};

const EVENTS: &str = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: hi\n\n";

#[test]
fn the_system_store_is_trusted_when_asked() {
    let ca = Ca::new();
    let dir = std::env::temp_dir().join(format!("ssewire-native-roots-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = dir.join("ca.pem");
    std::fs::write(&store, ca.pem()).unwrap();
    // The only test in this binary: nothing else reads the environment meanwhile.
    std::env::set_var("SSL_CERT_FILE", &store);
    std::env::remove_var("SSL_CERT_DIR");
    run::<Smol>(async {
        let addr = server::<Smol>(&ca.issue(&["localhost"], false), None, EVENTS.to_owned());
        let url = format!("https://localhost:{}/events", addr.port());
        let once = || Config::new().retry_budget(Some(0));
        let system = TlsConfig::new().mozilla_roots(false).native_roots(true);
        let connector = TcpTls::<Smol>::new(&system).unwrap();
        let mut source = EventSource::with_connector::<Smol, _>(&url, once(), connector).unwrap();
        assert_eq!(source.next().await.unwrap().unwrap(), Update::Open);
        // Mozilla's roots alone do not know the CA.
        let connector = TcpTls::<Smol>::new(&TlsConfig::new()).unwrap();
        let mut source = EventSource::with_connector::<Smol, _>(&url, once(), connector).unwrap();
        let error = source.next().await.unwrap().unwrap_err();
        assert_eq!(
            error.certificate(),
            Some(CertificateProblem::UnknownIssuer),
            "{error:?}"
        );
    });
    let _ = std::fs::remove_dir_all(&dir);
}
