//! The client through a real HTTP proxy, Debian's tinyproxy, started on a free loopback port
//! for each test, on smol and on async-std: absolute-form requests for `http://`, `CONNECT`
//! tunnels for `https://`, Basic credentials, `no_proxy`, and each proxy failure typed.

#![cfg(feature = "tls")]

mod common;
#[path = "../../../tests/tests/common/tinyproxy.rs"]
mod tinyproxy;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use futures_lite::StreamExt;
use ssewire::client::Failure;
use ssewire_futures::client::{
    ClientError, Config, EventSource, ProxyConfig, ProxyError, TcpTls, TunnelError, Update,
};

use common::tls::{server, Ca};
use common::{run, Rt};
use tinyproxy::{free_port, Tinyproxy};

const EVENTS: &str =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\nid: 1\ndata: proxied\n\n";

/// A plain HTTP server on a thread: each connection's request head is sent to the channel,
/// answered with [`EVENTS`], and closed.
fn plain_server() -> (SocketAddr, std::sync::mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (heads, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut head = Vec::new();
            let mut byte = [0];
            while !head.ends_with(b"\r\n\r\n") {
                if stream.read_exact(&mut byte).is_err() {
                    break;
                }
                head.push(byte[0]);
            }
            if heads
                .send(String::from_utf8_lossy(&head).into_owned())
                .is_err()
            {
                return;
            }
            let _ = stream.write_all(EVENTS.as_bytes());
        }
    });
    (addr, received)
}

/// One attempt, then the source stops.
fn once(proxy: ProxyConfig) -> Config {
    Config::new().retry_budget(Some(0)).proxy(proxy)
}

/// The first two updates: the stream opened, and its event.
async fn open_and_event(source: &mut EventSource) {
    assert_eq!(source.next().await.unwrap().unwrap(), Update::Open);
    match source.next().await.unwrap().unwrap() {
        Update::Event(event) => assert_eq!(event.data, "proxied"),
        other => panic!("{other:?}"),
    }
}

/// An `http://` URL goes to the proxy as an absolute-form request, which the proxy forwards
/// (adding its `Via`).
fn http_goes_through_a_forward_proxy<R: Rt>() {
    run::<R>(async {
        let proxy = Tinyproxy::start(None);
        let (addr, heads) = plain_server();
        let url = format!("http://{addr}/events");
        let config = once(ProxyConfig::http(ProxyConfig::none(), proxy.url()));
        let mut source = EventSource::new::<R>(&url, config).unwrap();
        open_and_event(&mut source).await;
        let head = heads.recv_timeout(Duration::from_secs(5)).unwrap();
        assert!(head.starts_with("GET /events HTTP/1.1\r\n"), "{head}");
        assert!(
            head.contains("Via: 1.1 ") && head.contains("(tinyproxy/"),
            "{head}"
        );
        assert!(proxy.logged(&format!("GET http://{addr}/events HTTP/1.1")));
    });
}

/// An `https://` URL goes through a `CONNECT` tunnel; TLS is end to end (the certificate is
/// the server's, checked for its name).
fn https_goes_through_a_tunnel<R: Rt>() {
    run::<R>(async {
        let proxy = Tinyproxy::start(None);
        let ca = Ca::new();
        let addr = server::<R>(&ca.issue(&["localhost"], false), None, EVENTS.to_owned());
        let url = format!("https://localhost:{}/events", addr.port());
        let config = once(ProxyConfig::none().https(proxy.url()));
        let connector = TcpTls::<R>::new(&ca.trusted()).unwrap();
        let mut source = EventSource::with_connector::<R, _>(&url, config, connector).unwrap();
        open_and_event(&mut source).await;
        assert!(proxy.logged(&format!("CONNECT localhost:{} HTTP/1.1", addr.port())));
    });
}

/// A proxy that asks for credentials: without them, a `407` stops the source for good
/// (through a tunnel, a typed error first); with them, in the URL's user info
/// (percent-encoded), both kinds of request go through.
fn credentials_from_the_proxy_url<R: Rt>() {
    run::<R>(async {
        let proxy = Tinyproxy::start(Some(("user", "s3cret")));
        let (addr, _heads) = plain_server();
        let ca = Ca::new();
        let tls_addr = server::<R>(&ca.issue(&["localhost"], false), None, EVENTS.to_owned());
        let http_url = format!("http://{addr}/events");
        let https_url = format!("https://localhost:{}/events", tls_addr.port());
        let connector = || TcpTls::<R>::new(&ca.trusted()).unwrap();

        let anonymous = ProxyConfig::all(proxy.url());
        let mut source =
            EventSource::with_connector::<R, _>(&http_url, once(anonymous.clone()), connector())
                .unwrap();
        assert!(source.next().await.is_none());
        assert_eq!(source.failure(), Some(Failure::ProxyAuthentication));
        let mut source =
            EventSource::with_connector::<R, _>(&https_url, once(anonymous), connector()).unwrap();
        let error = source.next().await.unwrap().unwrap_err();
        assert!(
            matches!(
                error,
                ClientError::Proxy(ProxyError::Tunnel(TunnelError::Status(407)))
            ),
            "{error:?}"
        );
        assert!(source.next().await.is_none());
        assert_eq!(source.failure(), Some(Failure::ProxyAuthentication));

        // `%33` is `3`: decoded before it is sent.
        let known = ProxyConfig::all(format!("http://user:s%33cret@127.0.0.1:{}", proxy.port));
        for url in [&http_url, &https_url] {
            let config = once(known.clone());
            let mut source = EventSource::with_connector::<R, _>(url, config, connector()).unwrap();
            open_and_event(&mut source).await;
        }
    });
}

/// `no_proxy` hosts are connected to directly; others through the proxy, and a proxy that
/// cannot be reached is its own typed error.
fn no_proxy_hosts_go_direct<R: Rt>() {
    run::<R>(async {
        let (addr, _heads) = plain_server();
        let url = format!("http://{addr}/events");
        let nowhere = ProxyConfig::all(format!("http://127.0.0.1:{}", free_port()));
        let mut source = EventSource::new::<R>(&url, once(nowhere.clone())).unwrap();
        let error = source.next().await.unwrap().unwrap_err();
        assert!(
            matches!(error, ClientError::Proxy(ProxyError::Connect(_))),
            "{error:?}"
        );
        assert!(source.next().await.is_none());
        for list in [
            "127.0.0.1",
            "127.0.0.0/8",
            "*",
            "localhost, 127.0.0.1:1, 127.0.0.1",
        ] {
            let config = once(nowhere.clone().no_proxy(list));
            let mut source = EventSource::new::<R>(&url, config).unwrap();
            open_and_event(&mut source).await;
        }
    });
}

/// A tunnel the proxy cannot open (nothing listens there) fails the attempt with the
/// proxy's status, and the source tries again: only a `407` is final.
fn a_refused_tunnel_is_retried<R: Rt>() {
    run::<R>(async {
        let proxy = Tinyproxy::start(None);
        let url = format!("https://localhost:{}/events", free_port());
        let config = Config::new()
            .retry_budget(Some(1))
            .initial_delay(Duration::from_millis(10))
            .proxy(ProxyConfig::all(proxy.url()));
        let mut source = EventSource::new::<R>(&url, config).unwrap();
        let mut refusals = 0;
        while let Some(update) = source.next().await {
            match update {
                Err(ClientError::Proxy(ProxyError::Tunnel(TunnelError::Status(status)))) => {
                    assert!((500..600).contains(&status), "{status}");
                    refusals += 1;
                }
                Ok(Update::Reconnecting(_)) => {}
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(refusals, 2);
        assert_eq!(source.failure(), Some(Failure::RetryBudgetExhausted));
    });
}

macro_rules! on_both_runtimes {
    ($($test:ident),* $(,)?) => {
        #[cfg(feature = "smol")]
        mod smol {
            $(#[test]
            fn $test() {
                super::$test::<ssewire_futures::rt::Smol>();
            })*
        }
        #[cfg(feature = "async-std")]
        mod async_std {
            $(#[test]
            fn $test() {
                super::$test::<ssewire_futures::rt::AsyncStd>();
            })*
        }
    };
}

on_both_runtimes!(
    http_goes_through_a_forward_proxy,
    https_goes_through_a_tunnel,
    credentials_from_the_proxy_url,
    no_proxy_hosts_go_direct,
    a_refused_tunnel_is_retried,
);

/// The environment's variables, as curl and reqwest read them.
#[test]
fn proxies_from_the_environment() {
    let from = |vars: &[(&str, &str)]| {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        ProxyConfig::from_lookup(move |name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    };
    let expect = |http: Option<&str>, https: Option<&str>, no_proxy: &str| {
        let mut config = ProxyConfig::none().no_proxy(no_proxy);
        if let Some(http) = http {
            config = config.http(http);
        }
        if let Some(https) = https {
            config = config.https(https);
        }
        config
    };
    assert_eq!(from(&[]), ProxyConfig::none());
    assert_eq!(
        from(&[
            ("http_proxy", "a:1"),
            ("HTTP_PROXY", "b:1"),
            ("HTTPS_PROXY", "c:1")
        ]),
        expect(Some("a:1"), Some("c:1"), "")
    );
    assert_eq!(
        from(&[
            ("HTTP_PROXY", "b:1"),
            ("all_proxy", "d:1"),
            ("NO_PROXY", "x")
        ]),
        expect(Some("b:1"), Some("d:1"), "x")
    );
    // In a CGI program, HTTP_PROXY may come from a request header: ignored.
    assert_eq!(
        from(&[("HTTP_PROXY", "evil:1"), ("REQUEST_METHOD", "GET")]),
        expect(None, None, "")
    );
    assert_eq!(
        from(&[
            ("https_proxy", " "),
            ("ALL_PROXY", "d:1"),
            ("no_proxy", "y"),
            ("NO_PROXY", "x")
        ]),
        expect(Some("d:1"), Some("d:1"), "y")
    );
    // Credentials are kept out of Debug.
    let shown = format!(
        "{:?}",
        ProxyConfig::all("http://user:secret@p.example:3128")
    );
    assert!(
        !shown.contains("secret") && shown.contains("p.example:3128"),
        "{shown}"
    );
}

/// Proxy URLs the client cannot use are refused when the source is made.
#[test]
fn unusable_proxies_are_refused() {
    use ssewire::client::Error;
    use ssewire::http::UrlError;
    for (proxy, error) in [
        ("https://p.example", UrlError::UnsupportedScheme),
        ("socks5://p.example:1080", UrlError::UnsupportedScheme),
        ("http://p.example:99999", UrlError::Invalid),
    ] {
        let config = Config::new().proxy(ProxyConfig::all(proxy));
        let made = EventSource::new::<ssewire_futures::rt::Smol>("http://a.example/", config).err();
        assert_eq!(made, Some(Error::Proxy(error)), "{proxy}");
    }
}
