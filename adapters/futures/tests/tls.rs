//! The client over TLS against a rustls server on loopback, on smol and on async-std, with
//! certificates made at test time: a private CA, and server certificates good, expired and
//! for another name; a server that asks for a client certificate.

#![cfg(feature = "tls")]

mod common;

use futures_lite::StreamExt;
use ssewire::client::Failure;
use ssewire_futures::client::{
    CertificateProblem, ClientError, Config, EventSource, TcpTls, TlsConfig, TlsError, Update,
};
use ssewire_futures::server::{self, Request, Route, Server, ServerTls};
use ssewire_futures::{Hub, HubConfig};

use common::tls::{server, Ca};
use common::{run, Rt};

const EVENTS: &str =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\nid: 1\ndata: over tls\n\n";

/// A client that gives up after the first failed attempt.
fn once() -> Config {
    Config::new().retry_budget(Some(0))
}

fn events_over_tls<R: Rt>() {
    run::<R>(async {
        let ca = Ca::new();
        let addr = server::<R>(&ca.issue(&["localhost"], false), None, EVENTS.to_owned());
        let tls = ca.trusted();
        let connector = TcpTls::<R>::new(&tls).unwrap();
        let url = format!("https://localhost:{}/events", addr.port());
        let mut source = EventSource::with_connector::<R, _>(&url, once(), connector).unwrap();
        assert_eq!(source.next().await.unwrap().unwrap(), Update::Open);
        match source.next().await.unwrap().unwrap() {
            Update::Event(event) => {
                assert_eq!(
                    (event.data.as_str(), event.id.as_deref()),
                    ("over tls", Some("1"))
                );
            }
            other => panic!("{other:?}"),
        }
    });
}

/// Each certificate problem is its own typed error, and the source stops (budget 0).
fn bad_certificates_are_refused_each_with_its_reason<R: Rt>() {
    run::<R>(async {
        let ca = Ca::new();
        let trusting = ca.trusted();
        for (identity, tls, problem) in [
            // A CA nobody added: Mozilla's roots only.
            (
                ca.issue(&["localhost"], false),
                TlsConfig::new(),
                CertificateProblem::UnknownIssuer,
            ),
            (
                ca.issue(&["other.example"], false),
                trusting.clone(),
                CertificateProblem::NotValidForName,
            ),
            (
                ca.issue(&["localhost"], true),
                trusting.clone(),
                CertificateProblem::Expired,
            ),
        ] {
            let addr = server::<R>(&identity, None, EVENTS.to_owned());
            let connector = TcpTls::<R>::new(&tls).unwrap();
            let url = format!("https://localhost:{}/events", addr.port());
            let mut source = EventSource::with_connector::<R, _>(&url, once(), connector).unwrap();
            let error = source.next().await.unwrap().unwrap_err();
            assert!(matches!(error, ClientError::Tls(_)), "{error:?}");
            assert_eq!(error.certificate(), Some(problem), "{error:?}");
            assert!(std::error::Error::source(&error).is_some());
            assert!(source.next().await.is_none());
            assert_eq!(source.failure(), Some(Failure::RetryBudgetExhausted));
        }
    });
}

/// The dangerous switch accepts what is refused otherwise (here a certificate from an
/// unknown CA, for another name).
fn invalid_certificates_are_accepted_only_when_told<R: Rt>() {
    run::<R>(async {
        let ca = Ca::new();
        let addr = server::<R>(
            &ca.issue(&["other.example"], false),
            None,
            EVENTS.to_owned(),
        );
        let tls = TlsConfig::new().danger_accept_invalid_certificates(true);
        let connector = TcpTls::<R>::new(&tls).unwrap();
        let url = format!("https://localhost:{}/events", addr.port());
        let mut source = EventSource::with_connector::<R, _>(&url, once(), connector).unwrap();
        assert_eq!(source.next().await.unwrap().unwrap(), Update::Open);
    });
}

/// A server that asks for a client certificate gets one from `client_certificate_pem`;
/// without it, the handshake fails.
fn a_client_certificate_is_presented<R: Rt>() {
    run::<R>(async {
        let ca = Ca::new();
        let clients = Ca::new();
        let identity = ca.issue(&["localhost"], false);
        let addr = server::<R>(&identity, Some(&clients), EVENTS.to_owned());
        let url = format!("https://localhost:{}/events", addr.port());
        let trusting = ca.trusted();
        let me = clients.issue(&["client.example"], false);
        let with_cert = trusting
            .clone()
            .client_certificate_pem(me.cert.as_bytes(), me.key.as_bytes())
            .unwrap();
        let connector = TcpTls::<R>::new(&with_cert).unwrap();
        let mut source = EventSource::with_connector::<R, _>(&url, once(), connector).unwrap();
        assert_eq!(source.next().await.unwrap().unwrap(), Update::Open);
        // Without: refused during the handshake or at the first read (TLS 1.3 sends the
        // server's refusal after the client's Finished).
        let connector = TcpTls::<R>::new(&trusting).unwrap();
        let mut source = EventSource::with_connector::<R, _>(&url, once(), connector).unwrap();
        let error = source.next().await.unwrap().unwrap_err();
        assert!(
            matches!(error, ClientError::Tls(_) | ClientError::Io(_)),
            "{error:?}"
        );
        assert!(source.next().await.is_none());
    });
}

/// A redirect from the TLS server to plain HTTP ends the source with its own failure; the
/// plain server is never asked.
fn a_redirect_from_https_to_http_is_refused<R: Rt>() {
    run::<R>(async {
        let ca = Ca::new();
        let plain = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let location = format!(
            "http://127.0.0.1:{}/events",
            plain.local_addr().unwrap().port()
        );
        let answer = format!("HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\n\r\n");
        let addr = server::<R>(&ca.issue(&["localhost"], false), None, answer);
        let tls = ca.trusted();
        let connector = TcpTls::<R>::new(&tls).unwrap();
        let url = format!("https://localhost:{}/events", addr.port());
        let mut source =
            EventSource::with_connector::<R, _>(&url, Config::new(), connector).unwrap();
        assert!(source.next().await.is_none());
        assert_eq!(source.failure(), Some(Failure::InsecureRedirect));
        plain.set_nonblocking(true).unwrap();
        assert!(
            plain.accept().is_err(),
            "the http:// server was connected to"
        );
    });
}

/// ssewire's own server over TLS (ServerTls from PEM), and the ssewire client trusting its
/// CA: a hub's events over https://; a client that does not trust it is refused, and the
/// server goes on.
fn the_server_speaks_tls<R: Rt>() {
    run::<R>(async {
        let ca = Ca::new();
        let identity = ca.issue(&["localhost"], false);
        let tls = ServerTls::from_pem(identity.cert.as_bytes(), identity.key.as_bytes()).unwrap();
        let hub = Hub::new(HubConfig::new());
        let events = hub.clone();
        let server = Server::<R>::bind("127.0.0.1:0", server::Config::new(), move |_: &Request| {
            Route::Stream(events.clone())
        })
        .unwrap()
        .tls(&tls);
        let port = server.local_addr().port();
        R::spawn(async move {
            server.run().await.unwrap();
        });
        let url = format!("https://localhost:{port}/events");
        // Not trusted: refused, typed.
        let mut stranger = EventSource::with_connector::<R, _>(
            &url,
            once(),
            TcpTls::<R>::new(&TlsConfig::new()).unwrap(),
        )
        .unwrap();
        let error = stranger.next().await.unwrap().unwrap_err();
        assert_eq!(
            error.certificate(),
            Some(CertificateProblem::UnknownIssuer),
            "{error:?}"
        );
        let trusting = ca.trusted();
        let connector = TcpTls::<R>::new(&trusting).unwrap();
        let mut source = EventSource::with_connector::<R, _>(&url, once(), connector).unwrap();
        assert_eq!(source.next().await.unwrap().unwrap(), Update::Open);
        while hub.subscribers() == 0 {
            R::sleep(std::time::Duration::from_millis(5)).await;
        }
        hub.publish(ssewire_futures::Event::new("secret")).unwrap();
        match source.next().await.unwrap().unwrap() {
            Update::Event(event) => assert_eq!(event.data, "secret"),
            other => panic!("{other:?}"),
        }
    });
}

#[test]
fn settings_that_cannot_be_used_are_refused() {
    assert_eq!(
        TlsConfig::new().root_pem(b"no pem here").err(),
        Some(TlsError::NoCertificate)
    );
    let ca = Ca::new();
    let me = ca.issue(&["client.example"], false);
    assert_eq!(
        TlsConfig::new()
            .client_certificate_pem(me.cert.as_bytes(), b"")
            .err(),
        Some(TlsError::NoPrivateKey)
    );
    assert_eq!(
        ServerTls::from_pem(me.cert.as_bytes(), b"").err(),
        Some(TlsError::NoPrivateKey)
    );
    let other = ca.issue(&["x.example"], false);
    assert!(matches!(
        ServerTls::from_pem(me.cert.as_bytes(), other.key.as_bytes()),
        Err(TlsError::Rustls(_))
    ));
    // `new` takes https:// with the default roots.
    let source =
        EventSource::new::<ssewire_futures::rt::Smol>("https://example.com/events", Config::new());
    assert!(source.is_ok());
}

macro_rules! on_runtime {
    ($runtime:ident, $feature:literal, $rt:ty) => {
        #[cfg(feature = $feature)]
        mod $runtime {
            type R = $rt;

            #[test]
            fn events_over_tls() {
                super::events_over_tls::<R>();
            }
            #[test]
            fn bad_certificates_are_refused_each_with_its_reason() {
                super::bad_certificates_are_refused_each_with_its_reason::<R>();
            }
            #[test]
            fn invalid_certificates_are_accepted_only_when_told() {
                super::invalid_certificates_are_accepted_only_when_told::<R>();
            }
            #[test]
            fn a_client_certificate_is_presented() {
                super::a_client_certificate_is_presented::<R>();
            }
            #[test]
            fn the_server_speaks_tls() {
                super::the_server_speaks_tls::<R>();
            }
            #[test]
            fn a_redirect_from_https_to_http_is_refused() {
                super::a_redirect_from_https_to_http_is_refused::<R>();
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
