//! A whole-input reference parser, written to be obviously correct rather than fast: decode the
//! whole stream with replacement, strip one BOM, split lines, then apply the WHATWG steps one
//! line at a time. The incremental parser must agree with it on every input and every chunking.
//!
//! Of the limits, only the comment limit is modelled (the others make errors, tested by the
//! vectors): a comment whose text is longer than it is skipped, no item.
//!
//! Shared by the core's tests and the fuzz targets (`#[path]`-included), so it only uses std.

#![allow(dead_code)]

/// An item as the reference parser yields it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RefItem {
    Event {
        event: String,
        data: String,
        /// The block's own `id`, if it set one.
        id: Option<String>,
        last_event_id: String,
    },
    Comment(String),
    Retry(u64),
}

/// Everything a whole stream yields, and the last event ID string at its end.
pub(crate) fn parse(input: &[u8]) -> (Vec<RefItem>, String) {
    parse_with(input, usize::MAX)
}

/// Like [`parse`], with comments longer than `comment_limit` bytes (the text after the colon
/// and one space, invalid UTF-8 replaced) skipped.
pub(crate) fn parse_with(input: &[u8], comment_limit: usize) -> (Vec<RefItem>, String) {
    let text = String::from_utf8_lossy(input);
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(&text);

    let mut items = Vec::new();
    let (mut data, mut event_type, mut id_buffer, mut last_event_id) =
        (String::new(), String::new(), String::new(), String::new());
    // The block set the id buffer.
    let mut own_id = false;
    for line in lines(text) {
        if line.is_empty() {
            last_event_id = id_buffer.clone();
            let id = std::mem::take(&mut own_id).then(|| last_event_id.clone());
            if data.is_empty() {
                event_type.clear();
                continue;
            }
            if data.ends_with('\n') {
                data.pop();
            }
            let event = if event_type.is_empty() {
                "message".to_owned()
            } else {
                std::mem::take(&mut event_type)
            };
            items.push(RefItem::Event {
                event,
                data: std::mem::take(&mut data),
                id,
                last_event_id: last_event_id.clone(),
            });
            event_type.clear();
            continue;
        }
        if let Some(comment) = line.strip_prefix(':') {
            let comment = one_space_removed(comment);
            if comment.len() <= comment_limit {
                items.push(RefItem::Comment(comment.to_owned()));
            }
            continue;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, one_space_removed(value)),
            None => (line, ""),
        };
        match field {
            "event" => event_type = value.to_owned(),
            "data" => {
                data.push_str(value);
                data.push('\n');
            }
            "id" if !value.contains('\0') => {
                id_buffer = value.to_owned();
                own_id = true;
            }
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                let ms = value.bytes().fold(0u64, |n, b| {
                    n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
                });
                items.push(RefItem::Retry(ms));
            }
            _ => {}
        }
    }
    (items, last_event_id)
}

/// The complete lines of `text`: each ends at CRLF, LF or CR; an unterminated last line is
/// not a line.
fn lines(mut text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    while let Some(end) = text.find(['\r', '\n']) {
        lines.push(&text[..end]);
        let skip = if text[end..].starts_with("\r\n") {
            2
        } else {
            1
        };
        text = &text[end + skip..];
    }
    lines
}

fn one_space_removed(value: &str) -> &str {
    value.strip_prefix(' ').unwrap_or(value)
}

/// What the incremental parser yields for `chunks` fed in order (storage large enough that no
/// limit applies), in the reference's terms, with the last event ID at the end.
pub(crate) fn incremental(chunks: &[&[u8]]) -> (Vec<RefItem>, String) {
    incremental_with(chunks, None)
}

/// Like [`incremental`], with [`Limits::comment`](ssewire::parse::Limits::comment) set to
/// `comment_limit` if given: what [`parse_with`] must give with that limit.
pub(crate) fn incremental_with(
    chunks: &[&[u8]],
    comment_limit: Option<usize>,
) -> (Vec<RefItem>, String) {
    let total: usize = chunks.iter().map(|c| c.len()).sum();
    // Replacement can triple the bytes; every fixed part gets room for the whole input.
    let room = 3 * total + 16;
    let limits = ssewire::parse::Limits::new()
        .data(room)
        .event_type(room)
        .id(room)
        .comment(comment_limit.unwrap_or(room));
    let mut parser = ssewire::parse::Parser::with_limits(vec![0u8; limits.storage_len()], limits);
    assert_eq!(parser.limits(), limits);
    let mut items = Vec::new();
    for chunk in chunks {
        let mut input = *chunk;
        while let Some(item) = parser.feed(&mut input) {
            items.push(match item.expect("no limit can be reached") {
                ssewire::parse::Item::Event(e) => RefItem::Event {
                    event: e.event.to_owned(),
                    data: e.data.to_owned(),
                    id: e.id.map(str::to_owned),
                    last_event_id: e.last_event_id.to_owned(),
                },
                ssewire::parse::Item::Comment(text) => RefItem::Comment(text.to_owned()),
                ssewire::parse::Item::Retry(ms) => RefItem::Retry(ms),
            });
        }
        assert!(input.is_empty(), "feed returned None with input left");
    }
    (items, parser.last_event_id().to_owned())
}
