//! Each encoder, writing the same small events (type `price-update`, an id, ~50 bytes of JSON
//! data) one after the other into one output buffer, as a server fills its socket buffer.
//!
//! Each goes through the API its users call: ssewire encodes straight into the buffer; the
//! peers build their owned event values and produce bytes that are then copied into it.

use std::fmt::Write as _;

use futures::{executor::block_on, future, AsyncBufReadExt as _};

/// One event to encode, made before timing starts.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Input {
    /// The event id, decimal.
    pub id: String,
    /// The JSON data.
    pub data: String,
}

/// The event type of every encoded event.
pub const EVENT_TYPE: &str = "price-update";

/// `count` events, the same as the first `count` events of [`Kind::Small`].
///
/// [`Kind::Small`]: crate::corpus::Kind::Small
#[must_use]
pub fn inputs(count: u64) -> Vec<Input> {
    (0..count)
        .map(|n| {
            let mut data = String::new();
            crate::corpus::small_data(n, &mut data);
            let mut id = String::new();
            write!(id, "{n}").unwrap_or_default();
            Input { id, data }
        })
        .collect()
}

/// An encoder under test: writes every event of `inputs` into `out`, returns the bytes written.
///
/// `out` must be large enough; an encoder that finds it too small panics.
pub type EncodeFn = fn(inputs: &[Input], out: &mut [u8]) -> usize;

/// The encoders compared, by name; ssewire first. eventsource-stream has no encoder.
pub const ENCODERS: &[(&str, EncodeFn)] = &[
    ("ssewire", ssewire),
    ("sse-stream 0.3", sse_stream),
    ("sse-codec 0.3", sse_codec),
    ("async-sse 5", async_sse),
];

/// Copies `bytes` to `out` at `*len`, as a write to a socket buffer.
fn put(out: &mut [u8], len: &mut usize, bytes: &[u8]) {
    out[*len..*len + bytes.len()].copy_from_slice(bytes);
    *len += bytes.len();
}

/// `ssewire::encode::Event::new(data).event(..).id(..).encode(&mut out[len..])`.
#[must_use]
pub fn ssewire(inputs: &[Input], out: &mut [u8]) -> usize {
    let mut len = 0;
    for input in inputs {
        len += ssewire::encode::Event::new(&input.data)
            .event(EVENT_TYPE)
            .id(&input.id)
            .encode(&mut out[len..])
            .expect("output buffer too small");
    }
    len
}

/// `sse_stream::Sse::default().event(..).id(..).data(..).encode()`, which returns `Bytes`.
#[must_use]
pub fn sse_stream(inputs: &[Input], out: &mut [u8]) -> usize {
    let mut len = 0;
    for input in inputs {
        let bytes = sse_stream::Sse::default()
            .event(EVENT_TYPE)
            .id(input.id.as_str())
            .data(input.data.as_str())
            .encode()
            .expect("valid event");
        put(out, &mut len, &bytes);
    }
    len
}

/// `futures_codec::Encoder::encode(&mut SSECodec, Event::message(..), &mut BytesMut)`, the
/// codec `sse_codec::encode_stream` runs, into a `BytesMut` reused as `FramedWrite` reuses its
/// write buffer.
#[must_use]
pub fn sse_codec(inputs: &[Input], out: &mut [u8]) -> usize {
    use futures_codec::Encoder as _;
    let mut codec = sse_codec::SSECodec::default();
    let mut buffer = futures_codec::BytesMut::with_capacity(256);
    let mut len = 0;
    for input in inputs {
        let event = sse_codec::Event::message(EVENT_TYPE, &input.data, input.id.as_str());
        codec.encode(event, &mut buffer).expect("encodes");
        put(out, &mut len, &buffer);
        buffer.clear();
    }
    len
}

/// `async_sse::encode()`: `Sender::send(name, data, Some(id))` on one side of its channel,
/// the `Encoder` read as an `AsyncBufRead` on the other, both polled by one `block_on`.
#[must_use]
pub fn async_sse(inputs: &[Input], out: &mut [u8]) -> usize {
    let (sender, mut encoder) = async_sse::encode();
    let send = async move {
        for input in inputs {
            sender
                .send(EVENT_TYPE, &input.data, Some(input.id.as_str()))
                .await
                .expect("receiver alive");
        }
    };
    let receive = async {
        let mut len = 0;
        loop {
            let bytes = encoder.fill_buf().await.expect("in-memory read");
            if bytes.is_empty() {
                return len;
            }
            let n = bytes.len();
            put(out, &mut len, bytes);
            encoder.consume_unpin(n);
        }
    };
    block_on(future::join(send, receive)).1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parsers, Digest};

    #[test]
    fn every_encoder_output_parses_back() {
        let inputs = inputs(500);
        let mut expected = Digest::default();
        for input in &inputs {
            expected.add(true, input.data.len(), input.id.len());
        }
        let mut out = vec![0; 1 << 20];
        for (name, encode) in ENCODERS {
            let len = encode(&inputs, &mut out);
            let digest = parsers::ssewire(&out[..len], 8192, EVENT_TYPE);
            assert_eq!(digest, expected, "{name}");
        }
    }
}
