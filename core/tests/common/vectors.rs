//! The parser's and the encoder's test vectors, written once and run in two places: on the host
//! by `core/tests/spec.rs` and `core/tests/encode.rs`, and on an emulated Cortex-M4 by
//! `tests/mcu` (which includes this file with `#[path]`). So it needs only `core` and `ssewire`:
//! inputs are `&'static` bytes, expected items borrow static text, and [`check_run`] compares
//! items as they come out of the parser, without allocating.
//!
//! The parse vectors follow the WHATWG HTML standard, "Server-sent events": "Interpreting an
//! event stream" and "Dispatch the event", with extra cases taken from the web-platform-tests
//! `eventsource/format-*` files. Expected values come from the spec text, never from what the
//! parser happens to do.

#![allow(dead_code)]

use core::fmt;

use ssewire::encode::{EncodeError, Event};
use ssewire::parse::{Item, Limits, ParseError, Parser};

/// An item the parser yields (or the error it reports), borrowing its text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expected<'a> {
    Event {
        event: &'a str,
        data: &'a str,
        /// The block's own id.
        id: Option<&'a str>,
        last_event_id: &'a str,
    },
    Comment(&'a str),
    Retry(u64),
    Error(ParseError),
}

impl<'a> Expected<'a> {
    /// The item (or error) `feed` returned, in these terms.
    pub(crate) fn from_item(item: Result<Item<'a>, ParseError>) -> Self {
        match item {
            Ok(Item::Event(event)) => Expected::Event {
                event: event.event,
                data: event.data,
                id: event.id,
                last_event_id: event.last_event_id,
            },
            Ok(Item::Comment(text)) => Expected::Comment(text),
            Ok(Item::Retry(ms)) => Expected::Retry(ms),
            Err(error) => Expected::Error(error),
        }
    }
}

/// An event of the default type with no id of its own and no last event ID.
pub(crate) const fn msg(data: &'static str) -> Expected<'static> {
    event_after("message", data, "")
}

/// An event of the default type whose block set the id `id`.
pub(crate) const fn msg_id(data: &'static str, id: &'static str) -> Expected<'static> {
    event("message", data, id)
}

/// An event of the default type with no id of its own, after an earlier block set the last
/// event ID to `last`.
pub(crate) const fn msg_after(data: &'static str, last: &'static str) -> Expected<'static> {
    event_after("message", data, last)
}

/// An event of type `event` with no id of its own and no last event ID.
pub(crate) const fn typed(event_type: &'static str, data: &'static str) -> Expected<'static> {
    event_after(event_type, data, "")
}

/// An event of type `event` whose block set the id `id`.
pub(crate) const fn event(
    event: &'static str,
    data: &'static str,
    id: &'static str,
) -> Expected<'static> {
    Expected::Event {
        event,
        data,
        id: Some(id),
        last_event_id: id,
    }
}

/// An event of type `event` with no id of its own, after an earlier block set the last event
/// ID to `last`.
pub(crate) const fn event_after(
    event: &'static str,
    data: &'static str,
    last: &'static str,
) -> Expected<'static> {
    Expected::Event {
        event,
        data,
        id: None,
        last_event_id: last,
    }
}

pub(crate) const fn comment(text: &'static str) -> Expected<'static> {
    Expected::Comment(text)
}

pub(crate) const fn retry(ms: u64) -> Expected<'static> {
    Expected::Retry(ms)
}

pub(crate) const fn error(error: ParseError) -> Expected<'static> {
    Expected::Error(error)
}

/// One named case: the stream, the items it must yield, and (where it matters) the last event ID
/// string once it is consumed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Case {
    pub(crate) name: &'static str,
    pub(crate) input: &'static [u8],
    pub(crate) expected: &'static [Expected<'static>],
    pub(crate) last_event_id: Option<&'static str>,
}

pub(crate) const fn case(
    name: &'static str,
    input: &'static [u8],
    expected: &'static [Expected<'static>],
) -> Case {
    Case {
        name,
        input,
        expected,
        last_event_id: None,
    }
}

impl Case {
    pub(crate) const fn last_id(mut self, id: &'static str) -> Self {
        self.last_event_id = Some(id);
        self
    }
}

/// Cases that run with the same parser set-up: `limits` over `storage` bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Group {
    pub(crate) name: &'static str,
    pub(crate) limits: Limits,
    pub(crate) storage: usize,
    pub(crate) cases: &'static [Case],
}

/// Every parse group.
pub(crate) const GROUPS: &[Group] = &[SPEC, DATA_LIMIT, EVENT_TYPE_LIMIT, ID_LIMIT, COMMENT_LIMIT];

/// The storage the largest group needs.
pub(crate) const MAX_STORAGE: usize = 4096;

/// How a case's input is fed to a fresh parser.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Run {
    /// In one chunk.
    Whole,
    /// One byte at a time.
    Bytewise,
    /// In two chunks, the first `at` bytes long.
    SplitAt(usize),
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Run::Whole => f.write_str("fed whole"),
            Run::Bytewise => f.write_str("fed one byte at a time"),
            Run::SplitAt(at) => write!(f, "split at {at}"),
        }
    }
}

/// The runs for an input of `len` bytes: whole, one byte at a time, and split in two at every
/// `step`-th position.
pub(crate) fn runs(len: usize, step: usize) -> impl Iterator<Item = Run> {
    [Run::Whole, Run::Bytewise]
        .into_iter()
        .chain((0..=len).step_by(step.max(1)).map(Run::SplitAt))
}

/// How a run differs from its case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Item `index` is not `expected`.
    Differs {
        index: usize,
        expected: Expected<'static>,
    },
    /// The parser yielded more items than expected; `index` is the first extra one.
    Extra { index: usize },
    /// The parser yielded only `got` items.
    Missing { got: usize },
    /// The last event ID at the end is not `expected`.
    LastEventId { expected: &'static str },
    /// `feed` returned `None` with input left.
    InputLeft,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Differs { index, expected } => {
                write!(f, "item {index} differs, expected {expected:?}")
            }
            Failure::Extra { index } => write!(f, "extra item {index}"),
            Failure::Missing { got } => write!(f, "only {got} items"),
            Failure::LastEventId { expected } => {
                write!(f, "last_event_id() is not {expected:?}")
            }
            Failure::InputLeft => f.write_str("feed returned None with input left"),
        }
    }
}

/// Feeds `case` to `parser` as `run` says and compares each item with the expected one as it
/// comes out: no allocation.
pub(crate) fn check_run<B: AsRef<[u8]> + AsMut<[u8]>>(
    case: &Case,
    parser: &mut Parser<B>,
    run: Run,
) -> Result<(), Failure> {
    let input = case.input;
    let mut index = 0;
    let mut feed = |chunk: &[u8]| -> Result<(), Failure> {
        let mut chunk = chunk;
        while let Some(item) = parser.feed(&mut chunk) {
            let expected = *case.expected.get(index).ok_or(Failure::Extra { index })?;
            if Expected::from_item(item) != expected {
                return Err(Failure::Differs { index, expected });
            }
            index += 1;
        }
        if chunk.is_empty() {
            Ok(())
        } else {
            Err(Failure::InputLeft)
        }
    };
    match run {
        Run::Whole => feed(input)?,
        Run::Bytewise => {
            for byte in input.chunks(1) {
                feed(byte)?;
            }
        }
        Run::SplitAt(at) => {
            let (a, b) = input.split_at(at.min(input.len()));
            feed(a)?;
            feed(b)?;
        }
    }
    if index != case.expected.len() {
        return Err(Failure::Missing { got: index });
    }
    match case.last_event_id {
        Some(expected) if parser.last_event_id() != expected => {
            Err(Failure::LastEventId { expected })
        }
        _ => Ok(()),
    }
}

/// Ten bytes of `x`, to build long values with `concat!`.
macro_rules! x10 {
    () => {
        "xxxxxxxxxx"
    };
}

macro_rules! x20 {
    () => {
        concat!(x10!(), x10!())
    };
}

macro_rules! x40 {
    () => {
        concat!(x20!(), x20!())
    };
}

macro_rules! x100 {
    () => {
        concat!(x40!(), x40!(), x20!())
    };
}

macro_rules! x1024 {
    () => {
        concat!(
            x100!(),
            x100!(),
            x100!(),
            x100!(),
            x100!(),
            x100!(),
            x100!(),
            x100!(),
            x100!(),
            x100!(),
            x20!(),
            "xxxx"
        )
    };
}

macro_rules! x2048 {
    () => {
        concat!(x1024!(), x1024!())
    };
}

/// Sixteen spaces, to build padding with `concat!`.
macro_rules! spaces16 {
    () => {
        "                "
    };
}

macro_rules! spaces256 {
    () => {
        concat!(
            spaces16!(),
            spaces16!(),
            spaces16!(),
            spaces16!(),
            spaces16!(),
            spaces16!(),
            spaces16!(),
            spaces16!(),
            spaces16!(),
            spaces16!(),
            spaces16!(),
            spaces16!(),
            spaces16!(),
            spaces16!(),
            spaces16!(),
            spaces16!()
        )
    };
}

macro_rules! spaces2048 {
    () => {
        concat!(
            spaces256!(),
            spaces256!(),
            spaces256!(),
            spaces256!(),
            spaces256!(),
            spaces256!(),
            spaces256!(),
            spaces256!()
        )
    };
}

/// The spec table, run with [`Limits::DEFAULT`] over 4 KiB. Each group starts with the rule it
/// checks, quoted from the standard.
pub(crate) const SPEC: Group = Group {
    name: "spec",
    limits: Limits::DEFAULT,
    storage: MAX_STORAGE,
    cases: &[
            // "The UTF-8 decode algorithm strips one leading UTF-8 Byte Order Mark (BOM), if any."
            // A BOM split across chunks is covered by the split runs.
            case("bom_stripped", b"\xEF\xBB\xBFdata: x\n\n", &[msg("x")]),
            case("bom_then_comment", b"\xEF\xBB\xBF: hi\n", &[comment("hi")]),
            case(
                "bom_then_blank_line",
                b"\xEF\xBB\xBF\ndata: x\n\n",
                &[msg("x")],
            ),
            case("bom_alone", b"\xEF\xBB\xBF", &[]),
            // wpt format-bom-2: the second BOM starts the field name "\u{FEFF}data", ignored.
            case(
                "second_bom_not_stripped",
                b"\xEF\xBB\xBF\xEF\xBB\xBFdata:1\n\ndata:2\n\ndata:3\n\n",
                &[msg("2"), msg("3")],
            ),
            case(
                "bom_stripped_before_several_events",
                b"\xEF\xBB\xBFdata:1\n\ndata:2\n\n",
                &[msg("1"), msg("2")],
            ),
            case(
                "bom_at_line_start_later_is_part_of_name",
                b"data: a\n\xEF\xBB\xBFdata: b\n\n",
                &[msg("a")],
            ),
            case(
                "bom_inside_value_kept",
                b"data: \xEF\xBB\xBFx\n\n",
                &[msg("\u{FEFF}x")],
            ),
            // A partial BOM decodes to U+FFFD, which starts an unknown field name.
            case(
                "partial_bom_two_bytes_is_not_bom",
                b"\xEF\xBBdata: x\n\ndata: y\n\n",
                &[msg("y")],
            ),
            case(
                "partial_bom_one_byte_is_not_bom",
                b"\xEFdata: x\n\ndata: y\n\n",
                &[msg("y")],
            ),
            case(
                "partial_bom_then_colon_is_not_a_comment",
                b"\xEF\xBB: c\ndata: x\n\n",
                &[msg("x")],
            ),
            case(
                "partial_bom_then_full_bom",
                b"\xEF\xBB\xEF\xBB\xBFdata: x\n\ndata: y\n\n",
                &[msg("y")],
            ),
            // wpt format-bom-utf-16: streams are always UTF-8; a UTF-16 BOM is two U+FFFD.
            case(
                "utf16le_bom_is_not_bom",
                b"\xFF\xFEdata:1\n\ndata:2\n\n",
                &[msg("2")],
            ),
            case(
                "utf16be_bom_is_not_bom",
                b"\xFE\xFFdata:1\n\ndata:2\n\n",
                &[msg("2")],
            ),
            // "a U+000D CARRIAGE RETURN U+000A LINE FEED (CRLF) character pair, a single U+000A LINE
            // FEED (LF) character not preceded by a U+000D CARRIAGE RETURN (CR) character, and a
            // single U+000D CARRIAGE RETURN (CR) character not followed by a U+000A LINE FEED (LF)
            // character being the ways in which a line can end."
            case("lf", b"data: x\n\n", &[msg("x")]),
            case("crlf", b"data: x\r\n\r\n", &[msg("x")]),
            case("cr_cr_dispatches_at_once", b"data: x\r\r", &[msg("x")]),
            case("lf_cr_dispatches_at_once", b"data: x\n\r", &[msg("x")]),
            case(
                "cr_cr_between_events",
                b"data: a\r\rdata: b\r\r",
                &[msg("a"), msg("b")],
            ),
            case(
                "lf_cr_is_two_line_ends",
                b"data: a\n\rdata: b\n\n",
                &[msg("a"), msg("b")],
            ),
            case(
                "crlf_is_one_line_end",
                b"data: a\r\ndata: b\r\n\r\n",
                &[msg("a\nb")],
            ),
            case(
                "mixed_line_ends",
                b"data: a\rdata: b\ndata: c\r\n\n",
                &[msg("a\nb\nc")],
            ),
            case("crlf_then_lf", b"data: a\r\n\n", &[msg("a")]),
            case("cr_then_crlf", b"data: a\r\r\n", &[msg("a")]),
            case("lf_then_crlf", b"data: a\n\r\n", &[msg("a")]),
            case(
                "crlf_events_back_to_back",
                b"data: a\r\n\r\ndata: b\r\n\r\n",
                &[msg("a"), msg("b")],
            ),
            case(
                "cr_inside_value_ends_the_line",
                b"data: a\rb\n\n",
                &[msg("a")],
            ),
            case(
                "extra_blank_lines_dispatch_nothing",
                b"\n\r\n\rdata: x\n\n\n\r\n\r",
                &[msg("x")],
            ),
            case("id_cr_data_cr_cr", b"id: 1\rdata: x\r\r", &[msg_id("x", "1")]).last_id("1"),
            // Not line ends: U+2028, U+0085 NEL, form feed, vertical tab.
            case(
                "unicode_line_separators_are_text",
                b"data: a\xE2\x80\xA8b\xC2\x85c\x0C\x0Bd\n\n",
                &[msg("a\u{2028}b\u{85}c\u{C}\u{B}d")],
            ),
            // "If the line starts with a U+003A COLON character (:) — Ignore the line." The parser
            // reports the text after the colon (one leading space removed) as Item::Comment.
            case("comment", b": hello\n", &[comment("hello")]),
            case("comment_without_space", b":hello\n", &[comment("hello")]),
            case(
                "comment_loses_one_space_only",
                b":  hello\n",
                &[comment(" hello")],
            ),
            case("comment_empty", b":\n", &[comment("")]),
            case("comment_keeps_colons", b": a: b\n", &[comment("a: b")]),
            case("comment_ended_by_cr", b": x\r", &[comment("x")]),
            case("comment_ended_by_crlf", b": x\r\n", &[comment("x")]),
            case("comment_block_dispatches_nothing", b": x\n\n", &[comment("x")]),
            case(
                "comment_inside_event",
                b"data: a\n: keep-alive\ndata: b\n\n",
                &[comment("keep-alive"), msg("a\nb")],
            ),
            case("comment_unterminated", b": x", &[]),
            // wpt format-comments ("comment fest"), with 100-byte comments, within the default
            // limit: reported.
            case(
                "comment_fest",
                concat!(
                    "data:1\r:\0\n:\r\ndata:2\n:",
                    x100!(),
                    "\rdata:3\n:data:fail\r:",
                    x100!(),
                    "\ndata:4\n\n"
                )
                .as_bytes(),
                &[
                    comment("\0"),
                    comment(""),
                    comment(x100!()),
                    comment("data:fail"),
                    comment(x100!()),
                    msg("1\n2\n3\n4"),
                ],
            ),
            // wpt format-comments as it is, with 2 KiB comments: over the default limit of 128
            // bytes, skipped without an error; the event around them is whole.
            case(
                "comment_fest_2_kib",
                concat!(
                    "data:1\r:\0\n:\r\ndata:2\n:",
                    x2048!(),
                    "\rdata:3\n:data:fail\r:",
                    x2048!(),
                    "\ndata:4\n\n"
                )
                .as_bytes(),
                &[
                    comment("\0"),
                    comment(""),
                    comment("data:fail"),
                    msg("1\n2\n3\n4"),
                ],
            ),
            // 2 KiB of padding first, as servers send it so that buffering proxies pass the
            // stream on: skipped; the events after it come out exactly.
            case(
                "comment_padding_2_kib_then_events",
                concat!(
                    ":",
                    spaces2048!(),
                    "\nretry: 3000\n\n: keep-alive\n\nid: 1\nevent: tick\ndata: a\n\ndata: b\n\n"
                )
                .as_bytes(),
                &[
                    retry(3000),
                    comment("keep-alive"),
                    event("tick", "a", "1"),
                    msg_after("b", "1"),
                ],
            )
            .last_id("1"),
            case(
                "comment_at_default_limit",
                concat!(": ", x100!(), x20!(), "xxxxxxxx\n").as_bytes(),
                &[comment(concat!(x100!(), x20!(), "xxxxxxxx"))],
            ),
            case(
                "comment_over_default_limit",
                concat!(": ", x100!(), x20!(), "xxxxxxxxx\ndata: ok\n\n").as_bytes(),
                &[msg("ok")],
            ),
            // "Otherwise, the string is not empty but does not contain a U+003A COLON character (:)
            // — Process the field using the whole line as the field name, and the empty string as
            // the field value."
            case("data_without_colon", b"data\n\n", &[msg("")]),
            case("two_data_without_colon", b"data\ndata\n\n", &[msg("\n")]),
            // The spec's example: "The first block fires events with the data set to the empty
            // string, as would the last block if it was followed by a blank line. The middle block
            // fires an event with the data set to a single newline character."
            case(
                "spec_example_empty_data",
                b"data\n\ndata\ndata\n\ndata:",
                &[msg(""), msg("\n")],
            ),
            case(
                "event_without_colon_is_default_type",
                b"event\ndata: x\n\n",
                &[msg("x")],
            ),
            case(
                "event_without_colon_clears_earlier_type",
                b"event: a\nevent\ndata: x\n\n",
                &[msg("x")],
            ),
            case(
                "unknown_without_colon_ignored",
                b"foo\ndata: x\n\n",
                &[msg("x")],
            ),
            // "Field names must be compared literally, with no case folding performed."
            // "Otherwise — The field is ignored."
            case("unknown_field_ignored", b"foo: bar\ndata: x\n\n", &[msg("x")]),
            case("unknown_field_only_block", b"foo: bar\n\n", &[]),
            case("field_names_case_sensitive_data", b"Data: x\n\n", &[]),
            case(
                "field_names_case_sensitive_data_upper",
                b"DATA: x\ndata: y\n\n",
                &[msg("y")],
            ),
            case(
                "field_names_case_sensitive_event",
                b"Event: e\ndata: x\n\n",
                &[msg("x")],
            ),
            case(
                "field_names_case_sensitive_id",
                b"ID: 1\ndata: x\n\n",
                &[msg("x")],
            )
            .last_id(""),
            case("field_names_case_sensitive_retry", b"Retry: 5\n", &[]),
            case(
                "space_before_colon_is_part_of_name",
                b"data :x\ndata: y\n\n",
                &[msg("y")],
            ),
            case("leading_space_is_part_of_name", b" data: x\n\n", &[]),
            case(
                "prefixes_and_extensions_of_names_unknown",
                b"dat: x\ndataa: y\neventsource: z\nidx: 1\ndata: w\n\n",
                &[msg("w")],
            )
            .last_id(""),
            case("name_with_nul_unknown", b"data\0: x\n\n", &[]),
            case("name_with_tab_unknown", b"data\t: x\n\n", &[]),
            case("name_with_invalid_utf8_unknown", b"data\xFF: x\n\n", &[]),
            // "Collect the characters on the line after the first U+003A COLON character (:), and
            // let value be that string. If value starts with a U+0020 SPACE character, remove it
            // from value."
            case("one_space_removed", b"data:  x\n\n", &[msg(" x")]),
            case("no_space", b"data:x\n\n", &[msg("x")]),
            // The spec's example: "The following stream fires two identical events".
            case(
                "space_after_colon_optional",
                b"data:test\n\ndata: test\n\n",
                &[msg("test"), msg("test")],
            ),
            case("tab_not_removed", b"data:\tx\n\n", &[msg("\tx")]),
            case("colon_inside_value_kept", b"data: a:b\n\n", &[msg("a:b")]),
            case("colon_only_value", b"data::\n\n", &[msg(":")]),
            case("trailing_space_kept", b"data: x \n\n", &[msg("x ")]),
            case("single_space_value_is_empty", b"data: \n\n", &[msg("")]),
            case("two_spaces_value_is_one_space", b"data:  \n\n", &[msg(" ")]),
            case(
                "one_space_removed_from_event",
                b"event:  e\ndata: x\n\n",
                &[typed(" e", "x")],
            ),
            case(
                "one_space_removed_from_id",
                b"id:  1\ndata: x\n\n",
                &[msg_id("x", " 1")],
            )
            .last_id(" 1"),
            // wpt format-null-character.
            case("nul_in_data_kept", b"data:\0\n\n", &[msg("\0")]),
            // "Append the field value to the data buffer, then append a single U+000A LINE FEED (LF)
            // character to the data buffer." … "If the data buffer's last character is a U+000A
            // LINE FEED (LF) character, then remove the last character from the data buffer."
            case(
                "data_lines_joined_with_lf",
                b"data: a\ndata: b\ndata: c\n\n",
                &[msg("a\nb\nc")],
            ),
            case(
                "spec_example_yhoo",
                b"data: YHOO\ndata: +2\ndata: 10\n\n",
                &[msg("YHOO\n+2\n10")],
            ),
            case(
                "only_the_final_lf_removed",
                b"data: a\ndata\n\n",
                &[msg("a\n")],
            ),
            case("empty_line_then_text", b"data\ndata: a\n\n", &[msg("\na")]),
            case("data_colon_empty_dispatches", b"data:\n\n", &[msg("")]),
            // wpt format-field-data.
            case(
                "wpt_format_field_data",
                b"data:\n\ndata\ndata\n\ndata:test\n\n",
                &[msg(""), msg("\n"), msg("test")],
            ),
            case(
                "data_around_other_fields",
                b"data: a\nevent: e\nfoo: bar\ndata: b\n\n",
                &[typed("e", "a\nb")],
            ),
            // "If the data buffer is an empty string, set the data buffer and the event type buffer
            // to the empty string and return." (after "Set the last event ID string of the event
            // source to the value of the last event ID buffer.")
            case("empty_input", b"", &[]),
            case("blank_lines_only", b"\n\n\r\n\r\r", &[]),
            case("block_without_data_not_dispatched", b"event: e\n\n", &[]),
            case("id_only_block_sets_last_event_id", b"id: 5\n\n", &[]).last_id("5"),
            case(
                "id_only_block_then_event_carries_it",
                b"id: 5\n\ndata: x\n\n",
                &[msg_after("x", "5")],
            )
            .last_id("5"),
            case(
                "event_type_reset_after_dispatch",
                b"event: e\ndata: 1\n\ndata: 2\n\n",
                &[typed("e", "1"), msg("2")],
            ),
            case(
                "event_type_reset_by_block_without_data",
                b"event: e\n\ndata: x\n\n",
                &[msg("x")],
            ),
            case(
                "event_type_reset_by_id_only_block",
                b"event: e\nid: 1\n\ndata: x\n\n",
                &[msg_after("x", "1")],
            )
            .last_id("1"),
            case(
                "last_event_line_wins",
                b"event: a\nevent: b\ndata: x\n\n",
                &[typed("b", "x")],
            ),
            case(
                "event_after_data_applies",
                b"data: x\nevent: e\n\n",
                &[typed("e", "x")],
            ),
            case("empty_event_is_message", b"event:\ndata: x\n\n", &[msg("x")]),
            case(
                "explicit_message_type",
                b"event: message\ndata: x\n\n",
                &[msg("x")],
            ),
            // wpt format-field-event and format-field-event-empty.
            case(
                "wpt_format_field_event",
                b"event:test\ndata:x\n\ndata:x\n\n",
                &[typed("test", "x"), msg("x")],
            ),
            case(
                "wpt_format_field_event_empty",
                b"event: \ndata:data\n\n",
                &[msg("data")],
            ),
            // "If the field value does not contain U+0000 NULL, then set the last event ID buffer to
            // the field value. Otherwise, ignore the field." "The buffer does not get reset, so the
            // last event ID string of the event source remains set to this value until the next time
            // it is set by the server."
            case(
                "id_persists",
                b"id: 1\ndata: 1\n\ndata:2\n\n",
                &[msg_id("1", "1"), msg_after("2", "1")],
            )
            .last_id("1"),
            case(
                "id_changes_and_persists",
                b"id: 1\ndata: 1\n\nid: 2\ndata:2\n\ndata:3\n\n",
                &[msg_id("1", "1"), msg_id("2", "2"), msg_after("3", "2")],
            )
            .last_id("2"),
            case(
                "empty_id_resets",
                b"id: 1\ndata: 1\n\nid:\ndata:2\n\ndata:3\n\n",
                &[msg_id("1", "1"), msg_id("2", ""), msg("3")],
            )
            .last_id(""),
            case(
                "id_without_colon_resets",
                b"id: 1\ndata: a\n\nid\ndata: b\n\n",
                &[msg_id("a", "1"), msg_id("b", "")],
            )
            .last_id(""),
            // The spec's example with four blocks.
            case(
                "spec_example_four_blocks",
                b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n",
                &[
                    comment("test stream"),
                    msg_id("first event", "1"),
                    msg_id("second event", ""),
                    msg(" third event"),
                ],
            )
            .last_id(""),
            case(
                "id_with_nul_ignored",
                b"id: 1\ndata: a\n\nid: 2\0\ndata: b\n\n",
                &[msg_id("a", "1"), msg_after("b", "1")],
            )
            .last_id("1"),
            // wpt format-field-id-null: every id below contains NUL, so none is taken.
            case(
                "wpt_id_null_variants",
                b"id: \0\0\ndata: hello\n\nid: x\0\nid: \0x\nid: x\0x\nid:  \0\ndata: hello\n\n",
                &[msg("hello"), msg("hello")],
            )
            .last_id(""),
            case(
                "id_with_nul_keeps_earlier_id_of_block",
                b"id: a\nid: x\0\ndata: b\n\n",
                &[msg_id("b", "a")],
            )
            .last_id("a"),
            case(
                "id_after_data_is_events_id",
                b"data: a\nid: 7\n\n",
                &[msg_id("a", "7")],
            )
            .last_id("7"),
            case(
                "last_id_line_wins",
                b"id: 1\nid: 2\ndata: x\n\n",
                &[msg_id("x", "2")],
            )
            .last_id("2"),
            case(
                "id_of_undispatched_block_not_taken",
                b"id: 1\ndata: a\n\nid: 2\ndata: b\n",
                &[msg_id("a", "1")],
            )
            .last_id("1"),
            case("id_line_alone_not_taken", b"id: 9\n", &[]).last_id(""),
            case(
                "id_keeps_colon",
                b"id: a:b\ndata: x\n\n",
                &[msg_id("x", "a:b")],
            )
            .last_id("a:b"),
            case(
                "id_ended_by_cr",
                b"id: 1\r2\ndata: x\n\n",
                &[msg_id("x", "1")],
            )
            .last_id("1"),
            // "If the field value consists of only ASCII digits, then interpret the field value as
            // an integer in base ten, and set the event stream's reconnection time to that integer.
            // Otherwise, ignore the field." Item::Retry reports it when the line is processed;
            // values past u64::MAX saturate (ssewire's contract).
            case("retry_with_space", b"retry: 1000\n", &[retry(1000)]),
            case("retry_without_space", b"retry:1000\n", &[retry(1000)]),
            case("retry_ended_by_cr", b"retry: 10\r", &[retry(10)]),
            case("retry_zero", b"retry: 0\n", &[retry(0)]),
            case("retry_leading_zeros", b"retry: 007\n", &[retry(7)]),
            case("retry_exponent_ignored", b"retry: 1e3\n", &[]),
            case("retry_negative_ignored", b"retry: -1\n", &[]),
            case("retry_plus_ignored", b"retry: +1\n", &[]),
            case("retry_trailing_space_ignored", b"retry: 10 \n", &[]),
            case("retry_two_leading_spaces_ignored", b"retry:  10\n", &[]),
            case("retry_decimal_ignored", b"retry: 1.5\n", &[]),
            case("retry_hex_ignored", b"retry: 0x10\n", &[]),
            case("retry_nul_ignored", b"retry: 1\0\n", &[]),
            case(
                "retry_fullwidth_digit_ignored",
                "retry: \u{FF11}\n".as_bytes(),
                &[],
            ),
            case("retry_empty_ignored", b"retry:\n", &[]),
            case("retry_space_only_ignored", b"retry: \n", &[]),
            case("retry_without_colon_ignored", b"retry\n", &[]),
            case(
                "retry_u64_max",
                b"retry: 18446744073709551615\n",
                &[retry(u64::MAX)],
            ),
            case(
                "retry_saturates",
                b"retry: 18446744073709551616\nretry: 99999999999999999999999999\n",
                &[retry(u64::MAX), retry(u64::MAX)],
            ),
            case("retry_does_not_dispatch", b"retry: 5\n\n", &[retry(5)]),
            case(
                "retry_inside_event",
                b"data: x\nretry: 5\n\n",
                &[retry(5), msg("x")],
            ),
            // wpt format-field-retry-bogus: "retry:1000x" is ignored, 2000 stays.
            case(
                "wpt_retry_bogus",
                b"retry:2000\nretry:1000x\ndata:x\n\n",
                &[retry(2000), msg("x")],
            ),
            case("retry_unterminated", b"retry: 1000", &[]),
            // "Once the end of the file is reached, any pending data must be discarded. (If the file
            // ends in the middle of an event, before the final empty line, the incomplete event is
            // not dispatched.)"
            case("unterminated_line", b"data: x", &[]),
            case("unterminated_block_lf", b"data: x\n", &[]),
            case("unterminated_block_cr", b"data: x\r", &[]),
            case(
                "unterminated_after_event",
                b"data: a\n\ndata: b",
                &[msg("a")],
            ),
            // wpt format-data-before-final-empty-line: the unterminated block's id is not taken.
            case(
                "wpt_data_before_final_empty_line",
                b"retry:1000\ndata:test1\n\nid:test\ndata:test2",
                &[retry(1000), msg("test1")],
            )
            .last_id(""),
            // "Streams must be decoded using the UTF-8 decode algorithm": each maximal invalid
            // subpart becomes one U+FFFD, as String::from_utf8_lossy does. Sequences split across
            // chunks are covered by the split runs.
            case(
                "lone_continuation_bytes",
                b"data: a\x80\xBFb\n\n",
                &[msg("a\u{FFFD}\u{FFFD}b")],
            ),
            case(
                "truncated_two_byte_before_lf",
                b"data: \xC3\n\n",
                &[msg("\u{FFFD}")],
            ),
            case(
                "truncated_three_byte_before_lf",
                b"data: \xE2\x82\n\n",
                &[msg("\u{FFFD}")],
            ),
            case(
                "truncated_four_byte_before_cr",
                b"data: \xF0\x9F\x98\r\r",
                &[msg("\u{FFFD}")],
            ),
            case(
                "truncated_sequence_then_ascii",
                b"data: \xE2\x82x\n\n",
                &[msg("\u{FFFD}x")],
            ),
            case(
                "truncated_sequences_in_two_data_lines",
                b"data: \xE2\x82\ndata: \xAC\n\n",
                &[msg("\u{FFFD}\n\u{FFFD}")],
            ),
            case(
                "overlong_two_byte",
                b"data: \xC0\xAF\n\n",
                &[msg("\u{FFFD}\u{FFFD}")],
            ),
            case(
                "overlong_three_byte",
                b"data: \xE0\x80\xAF\n\n",
                &[msg("\u{FFFD}\u{FFFD}\u{FFFD}")],
            ),
            case(
                "surrogate",
                b"data: \xED\xA0\x80\n\n",
                &[msg("\u{FFFD}\u{FFFD}\u{FFFD}")],
            ),
            case(
                "above_u10ffff",
                b"data: \xF4\x90\x80\x80\n\n",
                &[msg("\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}")],
            ),
            case(
                "bytes_never_in_utf8",
                b"data: \xF5\xFF\xC1\n\n",
                &[msg("\u{FFFD}\u{FFFD}\u{FFFD}")],
            ),
            case(
                "invalid_utf8_in_event_type",
                b"event: \xFFe\xE2\x82\ndata: x\n\n",
                &[typed("\u{FFFD}e\u{FFFD}", "x")],
            ),
            case(
                "invalid_utf8_in_id",
                b"id: \xC3\x281\ndata: x\n\n",
                &[msg_id("x", "\u{FFFD}(1")],
            )
            .last_id("\u{FFFD}(1"),
            case(
                "invalid_utf8_in_comment",
                b": \xE2\x82 \xED\xA0\x80\n",
                &[comment("\u{FFFD} \u{FFFD}\u{FFFD}\u{FFFD}")],
            ),
            case(
                "replacement_character_itself_passes",
                b"data: \xEF\xBF\xBD\n\n",
                &[msg("\u{FFFD}")],
            ),
            // Non-ASCII text passes through. wpt format-utf-8: "data:ok…".
            case(
                "wpt_format_utf8",
                b"data:ok\xE2\x80\xA6\n\n",
                &[msg("ok\u{2026}")],
            ),
            case(
                "emoji_and_cjk_in_data",
                "data: é€😀 中文\n\n".as_bytes(),
                &[msg("é€😀 中文")],
            ),
            case(
                "cjk_event_type",
                "event: 日本語\ndata: x\n\n".as_bytes(),
                &[typed("日本語", "x")],
            ),
            case(
                "emoji_id",
                "id: 🦀\ndata: x\n\n".as_bytes(),
                &[msg_id("x", "🦀")],
            )
            .last_id("🦀"),
            case(
                "non_ascii_comment",
                ": ünïcödé ✓\n".as_bytes(),
                &[comment("ünïcödé ✓")],
            ),    ],
};

/// Small limits whose fixed parts (3 ids, event type, comment) fit in half of `storage_len`.
pub(crate) const SMALL: Limits = Limits::new().data(40).event_type(8).id(8).comment(8);

/// Data over [`SMALL`]`.data`.
pub(crate) const DATA_LIMIT: Group = Group {
    name: "data_limit",
    limits: SMALL,
    storage: SMALL.storage_len(),
    cases: &[
        case(
            "data_at_limit",
            concat!("data: ", x40!(), "\n\ndata: ok\n\n").as_bytes(),
            &[msg(x40!()), msg("ok")],
        ),
        case(
            "data_over_limit",
            concat!("data: ", x40!(), "x\n\ndata: ok\n\n").as_bytes(),
            &[error(ParseError::DataTooLong), msg("ok")],
        ),
        case(
            "data_at_limit_over_lines",
            concat!("data: ", x20!(), "\ndata: ", x10!(), "xxxxxxxxx\n\ndata: ok\n\n").as_bytes(),
            &[msg(concat!(x20!(), "\n", x10!(), "xxxxxxxxx")), msg("ok")],
        ),
        case(
            "data_over_limit_over_lines",
            concat!("data: ", x20!(), "\ndata: ", x20!(), "\n\ndata: ok\n\n").as_bytes(),
            &[error(ParseError::DataTooLong), msg("ok")],
        ),
        case(
            "data_over_limit_once_however_many_lines_follow",
            concat!("data: ", x40!(), "x\ndata: more\ndata: more\n\ndata: ok\n\n").as_bytes(),
            &[error(ParseError::DataTooLong), msg("ok")],
        ),
        // 14 invalid bytes become 14 U+FFFD: 42 bytes; 13 of them are 39.
        case(
            "data_over_limit_after_replacement",
            b"data: \xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\n\ndata: ok\n\n",
            &[error(ParseError::DataTooLong), msg("ok")],
        ),
        case(
            "data_at_limit_after_replacement",
            b"data: \xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\n\n",
            &[msg(
                "\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}",
            )],
        ),
        case(
            "data_over_limit_drops_event_type",
            concat!("event: e\ndata: ", x40!(), "x\n\ndata: ok\n\n").as_bytes(),
            &[error(ParseError::DataTooLong), msg("ok")],
        ),
        case(
            "data_over_limit_block_still_sets_id_and_retry",
            concat!("data: ", x40!(), "x\nid: 2\nretry: 5\n\ndata: ok\n\n").as_bytes(),
            &[error(ParseError::DataTooLong), retry(5), msg_after("ok", "2")],
        )
        .last_id("2"),
    ],
};

/// An event type over [`SMALL`]`.event_type`.
pub(crate) const EVENT_TYPE_LIMIT: Group = Group {
    name: "event_type_limit",
    limits: SMALL,
    storage: SMALL.storage_len(),
    cases: &[
        case(
            "event_type_at_limit",
            b"event: 12345678\ndata: x\n\n",
            &[typed("12345678", "x")],
        ),
        case(
            "event_type_over_limit",
            b"event: 123456789\ndata: x\n\ndata: ok\n\n",
            &[error(ParseError::EventTypeTooLong), msg("ok")],
        ),
        case(
            "event_type_over_limit_once_per_block",
            b"event: 123456789\nevent: e\ndata: x\n\ndata: ok\n\n",
            &[error(ParseError::EventTypeTooLong), msg("ok")],
        ),
        case(
            "event_type_over_limit_after_replacement",
            b"event: \xFF\xFF\xFF\ndata: x\n\ndata: ok\n\n",
            &[error(ParseError::EventTypeTooLong), msg("ok")],
        ),
    ],
};

/// An id over [`SMALL`]`.id`.
pub(crate) const ID_LIMIT: Group = Group {
    name: "id_limit",
    limits: SMALL,
    storage: SMALL.storage_len(),
    cases: &[
        case(
            "id_at_limit",
            b"id: 12345678\ndata: x\n\n",
            &[msg_id("x", "12345678")],
        )
        .last_id("12345678"),
        case(
            "id_over_limit_keeps_last_event_id",
            b"id: 1\ndata: a\n\nid: 123456789\ndata: x\n\ndata: ok\n\n",
            &[
                msg_id("a", "1"),
                error(ParseError::IdTooLong),
                msg_after("ok", "1"),
            ],
        )
        .last_id("1"),
        case(
            "id_over_limit_in_block_without_data",
            b"id: 123456789\n\ndata: ok\n\n",
            &[error(ParseError::IdTooLong), msg("ok")],
        )
        .last_id(""),
        case(
            "id_over_limit_after_replacement",
            b"id: \xFF\xFF\xFF\ndata: x\n\ndata: ok\n\n",
            &[error(ParseError::IdTooLong), msg("ok")],
        )
        .last_id(""),
    ],
};

/// A comment over [`SMALL`]`.comment`: skipped, no item and no error (comments carry no event
/// data; long ones are common padding). At the limit it is delivered whole.
pub(crate) const COMMENT_LIMIT: Group = Group {
    name: "comment_limit",
    limits: SMALL,
    storage: SMALL.storage_len(),
    cases: &[
        case("comment_at_limit", b": 12345678\n", &[comment("12345678")]),
        case(
            "comment_over_limit_is_skipped",
            b": 123456789\ndata: ok\n\n",
            &[msg("ok")],
        ),
        case(
            "comment_over_limit_counts_second_space",
            b":  12345678\n: ok\n",
            &[comment("ok")],
        ),
        case(
            "comment_over_limit_inside_event_leaves_it_alone",
            b"data: a\n: 123456789\ndata: b\n\n",
            &[msg("a\nb")],
        ),
        case(
            "comment_over_limit_before_blank_line_leaves_event_alone",
            b"data: a\n: 123456789\n\n",
            &[msg("a")],
        ),
        case(
            "comment_over_limit_between_blocks",
            b"data: a\n\n: 123456789\n\ndata: b\n\n",
            &[msg("a"), msg("b")],
        ),
        case(
            "comment_over_limit_then_comment_at_limit",
            b": 123456789\n: 12345678\n",
            &[comment("12345678")],
        ),
        case(
            "comment_over_limit_ended_by_cr",
            b": 123456789\rdata: ok\r\r",
            &[msg("ok")],
        ),
        case(
            "comment_far_over_limit_then_id_and_retry",
            concat!(": ", x100!(), "\nid: 1\nretry: 5\ndata: ok\n\n").as_bytes(),
            &[retry(5), msg_id("ok", "1")],
        )
        .last_id("1"),
        case("comment_over_limit_unterminated", b": 123456789", &[]),
        // Three U+FFFD are 9 bytes: over, though the raw bytes are 3.
        case(
            "comment_over_limit_after_replacement",
            b": \xFF\xFF\xFF\n: ok\n",
            &[comment("ok")],
        ),
        case(
            "comment_at_limit_after_replacement",
            b": \xFFab\xFF\n",
            &[comment("\u{FFFD}ab\u{FFFD}")],
        ),
        case(
            "comment_at_limit_multibyte",
            ": éééé\n".as_bytes(),
            &[comment("éééé")],
        ),
        // Skipped, not cut at a character boundary to "ééé".
        case(
            "comment_over_limit_mid_character_is_skipped",
            ": ééé€\n: ok\n".as_bytes(),
            &[comment("ok")],
        ),
    ],
};

/// What an encode vector encodes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Source {
    Event(Event<'static>),
    Comment(&'static str),
}

/// One encode vector: what is encoded, and the exact bytes (or the error) it gives.
#[derive(Clone, Copy, Debug)]
pub(crate) struct EncodeCase {
    pub(crate) name: &'static str,
    pub(crate) source: Source,
    pub(crate) expected: Result<&'static [u8], EncodeError>,
}

const fn encodes(name: &'static str, event: Event<'static>, bytes: &'static [u8]) -> EncodeCase {
    EncodeCase {
        name,
        source: Source::Event(event),
        expected: Ok(bytes),
    }
}

const fn comment_encodes(
    name: &'static str,
    text: &'static str,
    bytes: &'static [u8],
) -> EncodeCase {
    EncodeCase {
        name,
        source: Source::Comment(text),
        expected: Ok(bytes),
    }
}

const fn refused(name: &'static str, event: Event<'static>, error: EncodeError) -> EncodeCase {
    EncodeCase {
        name,
        source: Source::Event(event),
        expected: Err(error),
    }
}

/// The encoder's exact bytes, and what it refuses.
pub(crate) const ENCODE: &[EncodeCase] = &[
    encodes("data", Event::new("hi"), b"data: hi\n\n"),
    encodes("empty_data", Event::new(""), b"data:\n\n"),
    encodes(
        "lf_splits_data",
        Event::new("a\nb"),
        b"data: a\ndata: b\n\n",
    ),
    encodes(
        "every_line_break_splits_data",
        Event::new("a\r\nb\rc\n"),
        b"data: a\ndata: b\ndata: c\ndata:\n\n",
    ),
    encodes(
        "leading_space_kept",
        Event::new(" lead"),
        b"data:  lead\n\n",
    ),
    encodes(
        "leading_spaces_of_type_and_id_kept",
        Event::new("x").event(" t").id(" 1"),
        b"event:  t\nid:  1\ndata: x\n\n",
    ),
    encodes(
        "empty_id_written",
        Event::new("x").id(""),
        b"id:\ndata: x\n\n",
    ),
    encodes("retry_only", Event::empty().retry(5000), b"retry: 5000\n\n"),
    encodes(
        "retry_u64_max",
        Event::empty().retry(u64::MAX),
        b"retry: 18446744073709551615\n\n",
    ),
    encodes("retry_zero", Event::empty().retry(0), b"retry: 0\n\n"),
    encodes(
        "all_fields",
        Event::new("{}").event("price-update").id("7").retry(10),
        b"event: price-update\nid: 7\nretry: 10\ndata: {}\n\n",
    ),
    encodes("id_only", Event::empty().id("5"), b"id: 5\n\n"),
    encodes(
        "non_ascii_kept",
        Event::new("é€😀").event("日本").id("🦀"),
        "event: 日本\nid: 🦀\ndata: é€😀\n\n".as_bytes(),
    ),
    comment_encodes("comment_lines", "a\r\nb", b": a\n: b\n"),
    comment_encodes("comment_empty", "", b":\n"),
    refused(
        "lf_in_event_type",
        Event::new("x").event("a\nevent: b"),
        EncodeError::InvalidEventType,
    ),
    refused(
        "cr_in_event_type",
        Event::new("x").event("a\r"),
        EncodeError::InvalidEventType,
    ),
    refused(
        "lf_in_id",
        Event::new("x").id("1\ndata: y"),
        EncodeError::InvalidId,
    ),
    refused(
        "cr_in_id",
        Event::new("x").id("\r1"),
        EncodeError::InvalidId,
    ),
    refused(
        "nul_in_id",
        Event::new("x").id("1\0"),
        EncodeError::InvalidId,
    ),
];

/// The longest encode vector, with room to spare.
const ENCODE_BUF: usize = 256;

/// Encodes `case` into buffers on the stack and checks it: the exact bytes and `encoded_len`,
/// nothing written past them, a buffer one byte short refused and left untouched; or the
/// expected error from both `encoded_len` and `encode`. No allocation.
pub(crate) fn check_encode(case: &EncodeCase) -> Result<(), &'static str> {
    let mut buf = [0xAA; ENCODE_BUF];
    let (len, written) = match case.source {
        Source::Event(event) => (event.encoded_len(), event.encode(&mut buf)),
        Source::Comment(text) => {
            let comment = ssewire::encode::Comment(text);
            (Ok(comment.encoded_len()), comment.encode(&mut buf))
        }
    };
    let bytes = match case.expected {
        Ok(bytes) => bytes,
        Err(error) if len == Err(error) && written == Err(error) => return Ok(()),
        Err(_) => return Err("not refused with the expected error"),
    };
    if len != Ok(bytes.len()) {
        return Err("encoded_len differs from the expected length");
    }
    if written != Ok(bytes.len()) {
        return Err("encode reports another length");
    }
    if &buf[..bytes.len()] != bytes {
        return Err("bytes differ");
    }
    if buf[bytes.len()..].iter().any(|&b| b != 0xAA) {
        return Err("wrote past the length it reported");
    }
    let mut short = [0x55; ENCODE_BUF];
    let short = &mut short[..bytes.len() - 1];
    let refused = match case.source {
        Source::Event(event) => event.encode(short),
        Source::Comment(text) => ssewire::encode::Comment(text).encode(short),
    };
    if refused != Err(EncodeError::BufferTooSmall) || short.iter().any(|&b| b != 0x55) {
        return Err("a buffer one byte short is not refused untouched");
    }
    Ok(())
}
