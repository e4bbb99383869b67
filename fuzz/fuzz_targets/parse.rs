//! The incremental parser, fed arbitrary bytes in arbitrary chunkings, must agree with the
//! whole-input reference parser, also with a tiny comment limit (comments over it skipped);
//! with tiny limits it must stay within them and never panic.
#![no_main]

mod pieces;
#[path = "../../core/tests/common/reference.rs"]
mod reference;

use libfuzzer_sys::fuzz_target;
use ssewire::parse::{Item, Limits, Parser};

fuzz_target!(|input: &[u8]| {
    let (stream, chunks) = pieces::pieces(input);
    assert_eq!(reference::incremental(&chunks), reference::parse(stream));
    assert_eq!(
        reference::incremental_with(&chunks, Some(4)),
        reference::parse_with(stream, 4)
    );

    let limits = Limits::new().data(16).event_type(4).id(4).comment(4);
    let mut parser = Parser::with_limits([0u8; 64], limits);
    for chunk in &chunks {
        let mut input = *chunk;
        while let Some(item) = parser.feed(&mut input) {
            match item {
                Ok(Item::Event(e)) => {
                    assert!(
                        e.data.len() <= 16
                            && e.event.len() <= 4.max("message".len())
                            && e.last_event_id.len() <= 4
                            && e.id.is_none_or(|id| id == e.last_event_id)
                    )
                }
                Ok(Item::Comment(text)) => assert!(text.len() <= 4),
                Ok(Item::Retry(_)) | Err(_) => {}
            }
        }
        assert!(input.is_empty());
    }
    assert!(parser.last_event_id().len() <= 4);
});
