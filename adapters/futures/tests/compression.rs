//! Compressed streams, on smol and on async-std: servers written here compress with flate2
//! (gzip, zlib and raw deflate), one event at a time with a sync flush as a compressing proxy
//! does, and the client must give each event as it comes, not when the stream ends.

#![cfg(feature = "gzip")]

mod common;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
use flate2::Compression;
use futures_lite::{AsyncWriteExt, StreamExt};
use ssewire::client::{DecodeError, Error, Failure};
use ssewire_futures::client::{ClientError, Config, EventSource, Update};

use common::{run, Rt};

/// How a test server encodes its stream.
#[derive(Clone, Copy, Debug)]
enum Encoding {
    Gzip,
    Zlib,
    Raw,
    /// Bytes that are no gzip stream.
    Garbage,
}

/// A compressor that flushes after each write, so that each event can be decoded at once.
enum Compressor {
    Gzip(GzEncoder<Vec<u8>>),
    Zlib(ZlibEncoder<Vec<u8>>),
    Raw(DeflateEncoder<Vec<u8>>),
    Garbage,
}

impl Compressor {
    fn new(encoding: Encoding) -> Compressor {
        let level = Compression::default();
        match encoding {
            Encoding::Gzip => Compressor::Gzip(GzEncoder::new(Vec::new(), level)),
            Encoding::Zlib => Compressor::Zlib(ZlibEncoder::new(Vec::new(), level)),
            Encoding::Raw => Compressor::Raw(DeflateEncoder::new(Vec::new(), level)),
            Encoding::Garbage => Compressor::Garbage,
        }
    }

    /// `text`, compressed and flushed: the bytes to send now.
    fn push(&mut self, text: &str) -> Vec<u8> {
        fn flushed<W: Write>(
            encoder: &mut W,
            text: &str,
            out: fn(&mut W) -> &mut Vec<u8>,
        ) -> Vec<u8> {
            encoder.write_all(text.as_bytes()).unwrap();
            encoder.flush().unwrap();
            std::mem::take(out(encoder))
        }
        match self {
            Compressor::Gzip(e) => flushed(e, text, GzEncoder::get_mut),
            Compressor::Zlib(e) => flushed(e, text, ZlibEncoder::get_mut),
            Compressor::Raw(e) => flushed(e, text, DeflateEncoder::get_mut),
            Compressor::Garbage => b"\x1f\x8b\x08\x00 this is no gzip stream at all".to_vec(),
        }
    }
}

/// A server answering its n-th connection with `streams[n]`: each event compressed and sent
/// as its own chunk once the test says the previous one arrived (`acks`), then the last
/// chunk. Records each request head.
fn server<R: Rt>(
    streams: Vec<(Encoding, Vec<&'static str>)>,
    acks: async_channel::Receiver<()>,
) -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let listener = R::listener(listener).unwrap();
    let heads = Arc::new(Mutex::new(Vec::new()));
    let log = heads.clone();
    R::spawn(async move {
        for (encoding, events) in streams {
            let (mut socket, _) = R::accept(&listener).await.unwrap();
            let head = common::read_head(&mut socket).await.unwrap();
            log.lock().unwrap().push(String::from_utf8(head).unwrap());
            let coding = match encoding {
                Encoding::Gzip | Encoding::Garbage => "gzip",
                Encoding::Zlib | Encoding::Raw => "deflate",
            };
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
                 Content-Encoding: {coding}\r\nTransfer-Encoding: chunked\r\n\r\n"
            );
            socket.write_all(answer.as_bytes()).await.unwrap();
            let mut compressor = Compressor::new(encoding);
            for (n, event) in events.iter().enumerate() {
                if n > 0 && acks.recv().await.is_err() {
                    return;
                }
                let bytes = compressor.push(event);
                let mut chunk = format!("{:x}\r\n", bytes.len()).into_bytes();
                chunk.extend(bytes);
                chunk.extend(b"\r\n");
                if socket.write_all(&chunk).await.is_err() {
                    break;
                }
            }
            let _ = socket.write_all(b"0\r\n\r\n").await;
        }
    });
    (addr, heads)
}

fn quick() -> Config {
    Config::new()
        .initial_delay(Duration::from_millis(20))
        .jitter_percent(0)
}

/// The next update that is not a wait.
async fn next(source: &mut EventSource) -> Result<Update, ClientError> {
    loop {
        match source.next().await.expect("the source ended") {
            Ok(Update::Reconnecting(_)) => {}
            other => return other,
        }
    }
}

async fn expect_event(source: &mut EventSource, data: &str) {
    match next(source).await {
        Ok(Update::Event(event)) => assert_eq!(event.data, data),
        other => panic!("{other:?}"),
    }
}

/// gzip, zlib and raw deflate streams are decoded event by event: the server sends the next
/// event only once the client has the previous one. Corrupt bytes are a typed error and the
/// client reconnects.
fn each_coding_is_decoded_as_it_streams<R: Rt>() {
    run::<R>(async {
        let (ack, acks) = async_channel::unbounded();
        let (addr, heads) = server::<R>(
            vec![
                (
                    Encoding::Gzip,
                    vec![
                        "id: 1\ndata: one\n\n",
                        ": keep-alive\n",
                        "data: two\n\n",
                        "data: three\n\n",
                    ],
                ),
                (Encoding::Zlib, vec!["data: zlib\n\n"]),
                (Encoding::Raw, vec!["data: raw\n\n"]),
                (Encoding::Garbage, vec!["data: never\n\n"]),
                (Encoding::Gzip, vec!["data: after\n\n"]),
            ],
            acks,
        );
        let url = format!("http://{addr}/events");
        let mut source = EventSource::new::<R>(&url, quick()).unwrap();
        assert_eq!(next(&mut source).await.unwrap(), Update::Open);
        expect_event(&mut source, "one").await;
        ack.send(()).await.unwrap();
        assert_eq!(
            next(&mut source).await.unwrap(),
            Update::Comment("keep-alive".to_owned())
        );
        ack.send(()).await.unwrap();
        expect_event(&mut source, "two").await;
        ack.send(()).await.unwrap();
        expect_event(&mut source, "three").await;
        for data in ["zlib", "raw"] {
            assert_eq!(next(&mut source).await.unwrap(), Update::Open);
            expect_event(&mut source, data).await;
        }
        assert_eq!(next(&mut source).await.unwrap(), Update::Open);
        match next(&mut source).await {
            Err(ClientError::Session(Error::Decode(DecodeError))) => {}
            other => panic!("{other:?}"),
        }
        assert_eq!(next(&mut source).await.unwrap(), Update::Open);
        expect_event(&mut source, "after").await;
        let heads = heads.lock().unwrap().clone();
        assert!(
            heads
                .iter()
                .all(|h| h.contains("\r\nAccept-Encoding: gzip, deflate\r\n")),
            "{heads:?}"
        );
        assert!(heads[1].contains("\r\nLast-Event-ID: 1\r\n"), "{heads:?}");
    });
}

/// With compression off, no `Accept-Encoding` is sent, and a server that compresses anyway
/// fails the source for good rather than feed it compressed bytes as events.
fn compression_off_refuses_a_compressed_stream<R: Rt>() {
    run::<R>(async {
        let (_ack, acks) = async_channel::unbounded();
        let (addr, heads) = server::<R>(vec![(Encoding::Gzip, vec!["data: one\n\n"])], acks);
        let url = format!("http://{addr}/events");
        let mut source = EventSource::new::<R>(&url, quick().compression(false)).unwrap();
        assert!(source.next().await.is_none());
        assert_eq!(source.failure(), Some(Failure::ContentEncoding));
        let heads = heads.lock().unwrap().clone();
        assert!(!heads[0].contains("Accept-Encoding"), "{heads:?}");
    });
}

macro_rules! on_runtime {
    ($runtime:ident, $feature:literal, $rt:ty) => {
        #[cfg(feature = $feature)]
        mod $runtime {
            #[test]
            fn each_coding_is_decoded_as_it_streams() {
                super::each_coding_is_decoded_as_it_streams::<$rt>();
            }
            #[test]
            fn compression_off_refuses_a_compressed_stream() {
                super::compression_off_refuses_a_compressed_stream::<$rt>();
            }
        }
    };
}

on_runtime!(smol, "smol", ssewire_futures::rt::Smol);
on_runtime!(async_std, "async-std", ssewire_futures::rt::AsyncStd);
