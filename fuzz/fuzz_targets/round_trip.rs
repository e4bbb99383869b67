//! Whatever the encoder accepts, the parser gives back; whatever it refuses holds a forbidden
//! character.
#![no_main]

#[path = "../../core/tests/common/reference.rs"]
mod reference;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use reference::RefItem;
use ssewire::encode::{EncodeError, Event};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    data: Option<&'a str>,
    event: Option<&'a str>,
    id: Option<&'a str>,
    retry: Option<u64>,
}

fuzz_target!(|input: Input<'_>| {
    let mut event = match input.data {
        Some(data) => Event::new(data),
        None => Event::empty(),
    };
    if let Some(e) = input.event {
        event = event.event(e);
    }
    if let Some(id) = input.id {
        event = event.id(id);
    }
    if let Some(retry) = input.retry {
        event = event.retry(retry);
    }
    let len = match event.encoded_len() {
        Ok(len) => len,
        Err(EncodeError::InvalidEventType) => {
            return assert!(input.event.unwrap().contains(['\r', '\n']))
        }
        Err(EncodeError::InvalidId) => {
            return assert!(input.id.unwrap().contains(['\r', '\n', '\0']))
        }
        Err(e) => panic!("{e}"),
    };
    let mut buf = vec![0; len];
    assert_eq!(event.encode(&mut buf), Ok(len));

    let mut expected: Vec<RefItem> = input.retry.map(RefItem::Retry).into_iter().collect();
    if let Some(data) = input.data {
        expected.push(RefItem::Event {
            event: input
                .event
                .filter(|e| !e.is_empty())
                .unwrap_or("message")
                .to_owned(),
            data: data.replace("\r\n", "\n").replace('\r', "\n"),
            id: input.id.map(str::to_owned),
            last_event_id: input.id.unwrap_or("").to_owned(),
        });
    }
    let (items, last_event_id) = reference::incremental(&[&buf]);
    assert_eq!(items, expected);
    assert_eq!(last_event_id, input.id.unwrap_or(""));
    assert_eq!(reference::parse(&buf), (items, last_event_id));
});
