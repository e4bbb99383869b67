//! Random operation sequences on the client session, with arbitrary bytes received: no panic,
//! a read window is never empty (an adapter would read 0 bytes: a false end of stream), and the
//! outputs stay consistent with the state.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ssewire::client::{Client, Config, Duration, Instant, Request, Session, State};

/// Response heads a server could send, so that runs get past the head often.
const HEADS: [&[u8]; 6] = [
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 30\r\n\r\n",
    b"HTTP/1.1 307 X\r\nLocation: //b.example:81/x?y\r\n\r\n",
    b"HTTP/1.1 302 X\r\nLocation: relative\r\n\r\n",
    b"HTTP/1.1 103 Early\r\n\r\n",
];

fuzz_target!(|input: &[u8]| {
    let (settings, ops) = input.split_at(input.len().min(3));
    let setting = |i: usize| settings.get(i).copied().unwrap_or(0);
    let config = Config::new()
        .retry_budget((setting(0) & 0x80 != 0).then_some(u32::from(setting(0) & 7)))
        .retry_server_errors(setting(0) & 0x40 != 0)
        .max_redirects(setting(1) % 4)
        .connect_timeout((setting(1) & 0x40 != 0).then(|| Duration::from_millis(500)))
        .response_timeout(
            (setting(1) & 0x80 != 0).then(|| Duration::from_millis(u64::from(setting(2)) * 100)),
        )
        .read_timeout((setting(0) & 0x20 != 0).then(|| Duration::from_millis(300)))
        .max_location(usize::from(setting(1) % 64));
    let mut storage = [0u8; 512];
    let mut buf = vec![0u8; 96 + usize::from(setting(2))];
    let client = Client::new(&mut storage[..], config, u64::from(setting(2)));
    // A POST with a body, or a GET.
    let request = if setting(0) & 0x10 != 0 {
        Request::new().method("POST").body(b"{\"q\":1}")
    } else {
        Request::new()
    };
    let Ok(mut session) =
        Session::with_request(client, &mut buf[..], "http://a.example/events", request)
    else {
        return;
    };
    let mut now = Instant::from_millis(0);
    let mut ops = ops;
    while let Some((&op, rest)) = ops.split_first() {
        ops = rest;
        match op % 10 {
            0 => {
                if let Some(target) = session.poll_connect(now) {
                    assert!(!target.url.host.is_empty());
                    session.handle_connected(now);
                }
            }
            1 => {
                if let Some(bytes) = session.poll_transmit() {
                    assert!(!bytes.is_empty());
                    assert!(!session.poll_flush(), "a flush asked mid-request");
                    let n = usize::from(op / 10).min(bytes.len()).max(1);
                    session.handle_transmitted(n);
                } else if session.poll_flush() && op / 10 % 2 == 0 {
                    // Flushed, or left to the first read, which needs no flush.
                    session.handle_flushed();
                }
            }
            2 | 3 => {
                // Received: a canned head, or the next input bytes up to a length the op gives.
                let canned;
                let bytes: &[u8] = if op % 10 == 2 {
                    canned = HEADS[usize::from(op / 10) % HEADS.len()];
                    canned
                } else {
                    let len = usize::from(op / 10).min(ops.len());
                    let (bytes, rest) = ops.split_at(len);
                    ops = rest;
                    bytes
                };
                let mut bytes = bytes;
                while !bytes.is_empty() {
                    let Some(window) = session.poll_read() else {
                        break;
                    };
                    assert!(!window.is_empty(), "an empty read window");
                    let n = window.len().min(bytes.len());
                    window[..n].copy_from_slice(&bytes[..n]);
                    bytes = &bytes[n..];
                    session.handle_received(now, n);
                    while session.poll_update(now).is_some() {}
                }
            }
            4 => session.handle_received(now, 0),
            5 => session.handle_io_error(now),
            6 => now = now + Duration::from_millis(u64::from(op) * 97),
            7 => session.handle_timeout(now),
            8 => {
                let _ = session.poll_disconnect();
                while session.poll_update(now).is_some() {}
            }
            _ => {
                if op > 250 {
                    session.close();
                } else if op > 240 {
                    session.restart(now);
                }
            }
        }
        if session.state() == State::Closed {
            assert!(session.poll_connect(now).is_none());
            assert!(session.poll_timeout().is_none() || session.has_connection());
        }
        while session.poll_update(now).is_some() {}
        assert!(
            !session.has_update(),
            "something left after poll_update said none"
        );
    }
});
