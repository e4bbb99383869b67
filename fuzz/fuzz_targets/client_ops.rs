//! Random operation sequences on the reconnecting client: no panic, and its outputs stay
//! consistent with its state.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ssewire::client::{Client, Config, Duration, Instant, State};

fuzz_target!(|input: &[u8]| {
    let (settings, ops) = input.split_at(input.len().min(3));
    let setting = |i: usize| settings.get(i).copied().unwrap_or(0);
    let config = Config::new()
        .retry_budget((setting(0) & 0x80 != 0).then_some(u32::from(setting(0) & 7)))
        .retry_server_errors(setting(0) & 0x40 != 0)
        .max_redirects(setting(1) % 4)
        .jitter_percent(setting(2) % 101)
        .response_timeout(
            (setting(1) & 0x80 != 0).then(|| Duration::from_millis(u64::from(setting(2)) * 100)),
        )
        .max_location(usize::from(setting(1) % 32));
    let mut storage = [0u8; 512];
    let mut client = Client::new(&mut storage, config, u64::from(setting(2)));
    let mut now = Instant::from_millis(0);
    let mut ops = ops;
    while let Some((&op, rest)) = ops.split_first() {
        ops = rest;
        match op % 9 {
            0 => {
                if client.poll_connect().is_some() {
                    client.handle_connected(now);
                }
            }
            1 => {
                let status = [200, 204, 301, 302, 303, 307, 308, 404, 429, 500, 503, 100]
                    [usize::from(op / 9) % 12];
                let content_type = [
                    "text/event-stream",
                    "text/plain",
                    "TEXT/EVENT-STREAM; charset=utf-8",
                    "",
                ][usize::from(op >> 6)];
                let framing = [
                    "",
                    "Transfer-Encoding: chunked\r\n",
                    "Content-Length: 40\r\n",
                ][usize::from(op % 3)];
                let location = if op & 0x10 != 0 {
                    "Location: /moved/elsewhere/a-long-path-here\r\n"
                } else {
                    ""
                };
                let head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\n{framing}{location}Retry-After: {op}\r\n\r\n"
                );
                let mut headers = [ssewire::http::EMPTY_HEADER; 8];
                let head = ssewire::http::read_response(head.as_bytes(), &mut headers, 1024)
                    .expect("a well-formed head")
                    .expect("a complete head");
                client.handle_response_head(now, &head);
            }
            2 => {
                // The next bytes, up to a length the op gives, are body.
                let len = usize::from(op / 9).min(ops.len());
                let (body, rest) = ops.split_at(len);
                ops = rest;
                let mut body = body;
                while client.handle_body(now, &mut body).is_some() {}
                assert!(body.is_empty());
            }
            3 => client.handle_end_of_body(now),
            4 => client.handle_io_error(now),
            5 => now = now + Duration::from_millis(u64::from(op) * 997),
            6 => client.handle_timeout(now),
            7 => {
                let _ = client.poll_abort();
            }
            _ => client.close(),
        }
        let state = client.state();
        if client.poll_failure().is_some() || state == State::Closed {
            assert_eq!(state, State::Closed);
            assert!(client.poll_timeout().is_none());
        }
        if client.poll_timeout().is_some() {
            assert_eq!(state, State::Connecting);
        }
    }
});
