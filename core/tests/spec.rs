//! Named table tests of the parser against the WHATWG HTML standard, "Server-sent events":
//! "Interpreting an event stream" and "Dispatch the event", with extra cases taken from the
//! web-platform-tests `eventsource/format-*` files.
//!
//! The cases live in `common/vectors.rs`, shared with `tests/mcu`, which runs the same vectors
//! on an emulated Cortex-M4. Every case is fed whole, one byte at a time, and split in two at
//! every position; all runs must give exactly the expected items. Expected values come from
//! the spec text, never from what the parser happens to do.

#[path = "common/vectors.rs"]
mod vectors;

use ssewire::parse::{Limits, ParseError, Parser};
use vectors::{
    check_run, msg, msg_after, msg_id, runs, Case, Expected, Failure, Group, COMMENT_LIMIT,
    DATA_LIMIT, EVENT_TYPE_LIMIT, GROUPS, ID_LIMIT, SMALL, SPEC,
};

/// An item the parser yields, owned so it outlives the parser's storage (for messages that show
/// everything a run gave).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Owned {
    Event {
        event: String,
        data: String,
        id: Option<String>,
        last_event_id: String,
    },
    Comment(String),
    Retry(u64),
    Error(ParseError),
}

impl From<Expected<'_>> for Owned {
    fn from(item: Expected<'_>) -> Self {
        match item {
            Expected::Event {
                event,
                data,
                id,
                last_event_id,
            } => Owned::Event {
                event: event.to_owned(),
                data: data.to_owned(),
                id: id.map(str::to_owned),
                last_event_id: last_event_id.to_owned(),
            },
            Expected::Comment(text) => Owned::Comment(text.to_owned()),
            Expected::Retry(ms) => Owned::Retry(ms),
            Expected::Error(error) => Owned::Error(error),
        }
    }
}

fn owned(items: &[Expected<'_>]) -> Vec<Owned> {
    items.iter().copied().map(Owned::from).collect()
}

/// Feeds `chunks` in order; the items and the last event ID afterwards.
fn feed_all(
    parser: &mut Parser<Vec<u8>>,
    chunks: &[&[u8]],
) -> Result<(Vec<Owned>, String), String> {
    let mut items = Vec::new();
    for (n, chunk) in chunks.iter().enumerate() {
        let mut input = *chunk;
        while let Some(item) = parser.feed(&mut input) {
            items.push(Owned::from(Expected::from_item(item)));
        }
        if !input.is_empty() {
            return Err(format!(
                "feed returned None with {} bytes of chunk {n} left",
                input.len()
            ));
        }
    }
    Ok((items, parser.last_event_id().to_owned()))
}

/// Runs `case` whole, one byte at a time and split at every position, each time with a fresh
/// parser from `new_parser`; describes the first run that differs from the expectation.
fn check(case: &Case, new_parser: &dyn Fn() -> Parser<Vec<u8>>) -> Result<(), String> {
    let input = case.input;
    let expected = owned(case.expected);
    let mut runs: Vec<(String, Vec<&[u8]>)> = vec![
        ("fed whole".to_owned(), vec![input]),
        (
            "fed one byte at a time".to_owned(),
            input.chunks(1).collect(),
        ),
    ];
    // Miri interprets slowly: there, every third split point, or about 64 of a long input
    // (natively, all of them).
    let step = if cfg!(miri) {
        (input.len() / 64).max(3)
    } else {
        1
    };
    for at in (0..=input.len()).step_by(step) {
        let (a, b) = input.split_at(at);
        runs.push((format!("split at {at}"), vec![a, b]));
    }
    for (how, chunks) in runs {
        let (items, last_event_id) = feed_all(&mut new_parser(), &chunks)
            .map_err(|e| format!("case `{}` ({how}): {e}", case.name))?;
        if items != expected {
            return Err(format!(
                "case `{}` ({how}), input {:?}:\n    got      {items:?}\n    expected {expected:?}",
                case.name,
                String::from_utf8_lossy(input),
            ));
        }
        if let Some(expected_id) = case.last_event_id {
            if last_event_id != expected_id {
                return Err(format!(
                    "case `{}` ({how}): last_event_id() is {last_event_id:?}, expected {expected_id:?}",
                    case.name
                ));
            }
        }
    }
    Ok(())
}

/// A fresh parser as `group` sets it up.
fn parser_for(group: &Group) -> Parser<Vec<u8>> {
    Parser::with_limits(vec![0u8; group.storage], group.limits)
}

fn default_parser() -> Parser<Vec<u8>> {
    parser_for(&SPEC)
}

/// Checks every case of `group` and fails once, listing every case that fails.
fn check_group(group: &Group) {
    let failures: Vec<String> = group
        .cases
        .iter()
        .filter_map(|case| check(case, &|| parser_for(group)).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases of `{}` fail:\n{}",
        failures.len(),
        group.cases.len(),
        group.name,
        failures.join("\n")
    );
}

#[test]
fn table_has_enough_uniquely_named_cases() {
    assert!(SPEC.cases.len() >= 70, "only {} cases", SPEC.cases.len());
    let mut names: Vec<&str> = GROUPS
        .iter()
        .flat_map(|group| group.cases)
        .map(|c| c.name)
        .collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(names.len(), before, "duplicate case names");
}

#[test]
fn spec_table() {
    check_group(&SPEC);
}

/// The allocation-free checker the MCU run uses agrees with the one above on every case and
/// every run, here on the host.
#[test]
fn no_alloc_checker_passes_every_vector() {
    // Miri: every seventh split point, or about 16 of a long input; `spec_table` covers more.
    for group in GROUPS {
        for case in group.cases {
            let step = if cfg!(miri) {
                (case.input.len() / 16).max(7)
            } else {
                1
            };
            for run in runs(case.input.len(), step) {
                let mut parser = parser_for(group);
                assert_eq!(
                    check_run(case, &mut parser, run),
                    Ok(()),
                    "`{}::{}` ({run})",
                    group.name,
                    case.name
                );
            }
        }
    }
}

/// A case the checker passes, and wrong expectations for its input with what the checker must
/// report.
const BASE: Case = vectors::case(
    "base",
    b"id: 1\ndata: a\n\ndata: b\n\n",
    &[msg_id("a", "1"), msg_after("b", "1")],
);

const WRONG: [(Case, Failure); 4] = [
    (
        Case {
            expected: &[msg("a"), msg("b")],
            ..BASE
        },
        Failure::Differs {
            index: 0,
            expected: msg("a"),
        },
    ),
    (
        Case {
            expected: &[msg_id("a", "1")],
            ..BASE
        },
        Failure::Extra { index: 1 },
    ),
    (
        Case {
            expected: &[msg_id("a", "1"), msg_after("b", "1"), msg("c")],
            ..BASE
        },
        Failure::Missing { got: 2 },
    ),
    (BASE.last_id("2"), Failure::LastEventId { expected: "2" }),
];

/// The allocation-free checker fails when it should: wrong, extra and missing items, and a wrong
/// last event ID, in every run.
#[test]
fn no_alloc_checker_reports_mismatches() {
    for run in runs(BASE.input.len(), 1) {
        assert_eq!(
            check_run(&BASE, &mut default_parser(), run),
            Ok(()),
            "{run}"
        );
        for (case, failure) in &WRONG {
            assert_eq!(
                check_run(case, &mut default_parser(), run),
                Err(*failure),
                "{run}"
            );
        }
    }
}

#[test]
fn small_limits_are_in_force() {
    assert_eq!(parser_for(&DATA_LIMIT).limits(), SMALL);
}

/// The brief's example limits (data 16 < the 40 bytes of ids, type and comment) with a buffer
/// of exactly `storage_len()` bytes, which `Limits::storage_len` documents as "the storage these
/// limits need".
#[test]
fn buffer_of_storage_len_holds_the_limits() {
    for limits in [
        Limits::new().data(16).event_type(8).id(8).comment(8),
        SMALL,
        Limits::DEFAULT.data(1000),
    ] {
        let parser = Parser::with_limits(vec![0u8; limits.storage_len()], limits);
        assert_eq!(
            parser.limits(),
            limits,
            "buffer of storage_len() = {} bytes",
            limits.storage_len()
        );
    }
}

#[test]
fn data_over_limit() {
    assert_eq!(parser_for(&DATA_LIMIT).limits(), SMALL);
    check_group(&DATA_LIMIT);
}

#[test]
fn event_type_over_limit() {
    assert_eq!(parser_for(&EVENT_TYPE_LIMIT).limits(), SMALL);
    check_group(&EVENT_TYPE_LIMIT);
}

#[test]
fn id_over_limit() {
    assert_eq!(parser_for(&ID_LIMIT).limits(), SMALL);
    check_group(&ID_LIMIT);
}

#[test]
fn comment_over_limit_is_skipped() {
    assert_eq!(parser_for(&COMMENT_LIMIT).limits(), SMALL);
    check_group(&COMMENT_LIMIT);
}

/// Feeds `input` whole and then one byte at a time to clones of `parser`, checks both give
/// `expected`, and leaves `parser` as after the whole feed.
fn feed_checked(parser: &mut Parser<Vec<u8>>, input: &[u8], expected: &[Expected<'_>]) {
    let expected = owned(expected);
    let mut bytewise = parser.clone();
    let chunks: Vec<&[u8]> = input.chunks(1).collect();
    let (items, _) = feed_all(&mut bytewise, &chunks).unwrap();
    assert_eq!(items, expected, "one byte at a time: {input:?}");
    let (items, _) = feed_all(parser, &[input]).unwrap();
    assert_eq!(items, expected, "whole: {input:?}");
}

#[test]
fn reset_discards_unterminated_block_and_keeps_last_event_id() {
    let mut parser = default_parser();
    feed_checked(
        &mut parser,
        b"id: 1\ndata: a\n\nevent: e\nid: 2\ndata: partial",
        &[msg_id("a", "1")],
    );
    assert_eq!(parser.last_event_id(), "1");
    parser.reset();
    assert_eq!(parser.last_event_id(), "1");
    // The pending type, id and data are gone; the last event ID string stays.
    feed_checked(&mut parser, b"data: b\n\n", &[msg_after("b", "1")]);
    assert_eq!(parser.last_event_id(), "1");

    // A partial line is discarded too: after the reset "tial" starts a new (unknown) line.
    feed_checked(&mut parser, b"data: par", &[]);
    parser.reset();
    feed_checked(&mut parser, b"tial\n\ndata: c\n\n", &[msg_after("c", "1")]);

    // A new stream may start with a BOM again.
    parser.reset();
    feed_checked(
        &mut parser,
        b"\xEF\xBB\xBFdata: d\n\n",
        &[msg_after("d", "1")],
    );
}

#[test]
fn set_last_event_id_is_carried_by_events_without_id() {
    let mut parser = default_parser();
    parser.set_last_event_id("42").unwrap();
    assert_eq!(parser.last_event_id(), "42");
    feed_checked(&mut parser, b"data: a\n\n", &[msg_after("a", "42")]);
    assert_eq!(parser.last_event_id(), "42");
    feed_checked(
        &mut parser,
        b"id: 7\ndata: b\n\ndata: c\n\n",
        &[msg_id("b", "7"), msg_after("c", "7")],
    );
    feed_checked(&mut parser, b"id\ndata: d\n\n", &[msg_id("d", "")]);
    assert_eq!(parser.last_event_id(), "");

    // Survives a reset, as on reconnection.
    parser.set_last_event_id("99").unwrap();
    parser.reset();
    feed_checked(&mut parser, b"data: e\n\n", &[msg_after("e", "99")]);

    // Over the limit: an error, and nothing changes.
    let too_long = "x".repeat(parser.limits().id + 1);
    assert_eq!(
        parser.set_last_event_id(&too_long),
        Err(ParseError::IdTooLong)
    );
    assert_eq!(parser.last_event_id(), "99");
    feed_checked(&mut parser, b"data: f\n\n", &[msg_after("f", "99")]);
}
