//! The chunked decoder: named cases, the same outcome at every split point, a whole-input
//! reference decoder, and proptest round trips of random chunked bodies.

mod common;

use common::chunked::{decode_pieces, Outcome};
use proptest::prelude::*;
use ssewire::http::{
    ChunkHeader, ChunkedError, CHUNK_END, LAST_CHUNK, MAX_CHUNK_LINE_LEN, MAX_TRAILERS_LEN,
};

/// The outcome with `input` whole, checked to be the same split in two at every point and fed a
/// byte at a time.
fn decode_every_split(input: &[u8]) -> Outcome {
    let whole = decode_pieces(&[input]);
    let step = if cfg!(miri) { input.len() / 8 + 1 } else { 1 };
    for at in (0..=input.len()).step_by(step) {
        let (a, b) = input.split_at(at);
        assert_eq!(decode_pieces(&[a, b]), whole, "split at {at} of {input:?}");
    }
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(decode_pieces(&bytes), whole, "byte by byte: {input:?}");
    whole
}

/// The outcome of `input` fed in pieces of the given sizes (cycled; 0 is an empty read).
fn decode_chunked_as(input: &[u8], sizes: &[usize]) -> Outcome {
    let mut pieces = Vec::new();
    let mut rest = input;
    let mut i = 0;
    while !rest.is_empty() {
        let size = sizes
            .get(i % sizes.len().max(1))
            .copied()
            .unwrap_or(rest.len());
        if size == 0 {
            pieces.push(&[][..]); // an empty read changes nothing
        }
        let (piece, tail) = rest.split_at(size.clamp(1, rest.len()));
        pieces.push(piece);
        rest = tail;
        i += 1;
    }
    decode_pieces(&pieces)
}

// ---------------------------------------------------------------------------------------------
// The reference: whole input, line by line, following the grammar's shape.

/// What the reference makes of a whole input.
#[derive(Debug, PartialEq, Eq)]
enum Ref {
    Complete {
        payload: Vec<u8>,
        consumed: usize,
    },
    /// The input ends before the body does; it may or may not be valid so far.
    Truncated {
        payload: Vec<u8>,
    },
    Invalid,
}

enum Line<'a> {
    /// A line and its CRLF.
    Full(&'a [u8]),
    /// No line end yet: this many bytes of the line (CR not counted).
    Partial(usize),
    /// A bare LF, or a CR not followed by LF.
    Bad,
}

fn line(rest: &[u8]) -> Line<'_> {
    match rest.iter().position(|&b| b == b'\r' || b == b'\n') {
        None => Line::Partial(rest.len()),
        Some(i) if rest[i] == b'\n' => Line::Bad,
        Some(i) => match rest.get(i + 1) {
            None => Line::Partial(i),
            Some(b'\n') => Line::Full(&rest[..i]),
            Some(_) => Line::Bad,
        },
    }
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_field_char(b: u8) -> bool {
    b == b'\t' || (b' '..=b'~').contains(&b) || b >= 0x80
}

fn skip_ows(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
    &s[n..]
}

fn token(s: &[u8]) -> Option<&[u8]> {
    let n = s.iter().take_while(|&&b| is_tchar(b)).count();
    (n > 0).then(|| &s[n..])
}

/// The rest after a quoted string whose opening quote is already gone.
fn quoted(mut s: &[u8]) -> Option<&[u8]> {
    loop {
        match *s {
            [b'"', ref rest @ ..] => return Some(rest),
            [b'\\', c, ref rest @ ..] if is_field_char(c) => s = rest,
            [c, ref rest @ ..] if c != b'\\' && is_field_char(c) => s = rest,
            _ => return None,
        }
    }
}

/// `HEXDIG+ OWS *( ";" OWS token OWS [ "=" OWS ( token / quoted-string ) OWS ] )`.
fn size_line(line: &[u8]) -> Option<u64> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 {
        return None;
    }
    let size = u64::from_str_radix(std::str::from_utf8(&line[..digits]).ok()?, 16).ok()?;
    let mut rest = skip_ows(&line[digits..]);
    while let Some(after) = rest.strip_prefix(b";") {
        rest = skip_ows(token(skip_ows(after))?);
        if let Some(after) = rest.strip_prefix(b"=") {
            let after = skip_ows(after);
            rest = match after.strip_prefix(b"\"") {
                Some(after) => quoted(after)?,
                None => token(after)?,
            };
            rest = skip_ows(rest);
        }
    }
    rest.is_empty().then_some(size)
}

fn trailer_line(line: &[u8]) -> bool {
    match token(line) {
        Some([b':', value @ ..]) => value.iter().all(|&b| is_field_char(b)),
        _ => false,
    }
}

fn reference(input: &[u8]) -> Ref {
    let mut payload = Vec::new();
    let mut pos = 0;
    loop {
        let size = match line(&input[pos..]) {
            Line::Partial(n) if n > MAX_CHUNK_LINE_LEN => return Ref::Invalid,
            Line::Partial(_) => return Ref::Truncated { payload },
            Line::Bad => return Ref::Invalid,
            Line::Full(l) if l.len() > MAX_CHUNK_LINE_LEN => return Ref::Invalid,
            Line::Full(l) => {
                pos += l.len() + 2;
                match size_line(l) {
                    Some(size) => size,
                    None => return Ref::Invalid,
                }
            }
        };
        if size == 0 {
            break;
        }
        let available = &input[pos..];
        if (available.len() as u64) < size {
            payload.extend_from_slice(available);
            return Ref::Truncated { payload };
        }
        payload.extend_from_slice(&available[..size as usize]);
        pos += size as usize;
        match &input[pos..] {
            [b'\r', b'\n', ..] => pos += 2,
            [] | [b'\r'] => return Ref::Truncated { payload },
            _ => return Ref::Invalid,
        }
    }
    let mut total = 0;
    loop {
        match line(&input[pos..]) {
            Line::Partial(n) if total + n > MAX_TRAILERS_LEN => return Ref::Invalid,
            Line::Partial(_) => return Ref::Truncated { payload },
            Line::Bad => return Ref::Invalid,
            Line::Full([]) => {
                return Ref::Complete {
                    payload,
                    consumed: pos + 2,
                }
            }
            Line::Full(l) => {
                total += l.len() + 2;
                if total > MAX_TRAILERS_LEN || !trailer_line(l) {
                    return Ref::Invalid;
                }
                pos += l.len() + 2;
            }
        }
    }
}

/// The incremental outcome agrees with the reference.
fn agrees(outcome: &Outcome, reference: &Ref) -> bool {
    match (outcome, reference) {
        (
            Outcome::Complete { payload, consumed },
            Ref::Complete {
                payload: p,
                consumed: c,
            },
        ) => payload == p && consumed == c,
        (Outcome::Incomplete { payload }, Ref::Truncated { payload: p }) => payload == p,
        (Outcome::Invalid { .. }, Ref::Invalid | Ref::Truncated { .. }) => true,
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Named cases.

#[test]
fn valid_bodies() {
    let long_line = format!(
        "5;{}\r\nhello\r\n0\r\n\r\n",
        "a".repeat(MAX_CHUNK_LINE_LEN - 2)
    );
    // Trailer lines of 100 bytes each, CRLF included, filling the limit exactly.
    let full_trailers = format!(
        "0\r\n{}\r\n",
        format!("X: {}\r\n", "v".repeat(95)).repeat(MAX_TRAILERS_LEN / 100)
            + &format!("Y: {}\r\n", "w".repeat(MAX_TRAILERS_LEN % 100 - 5))
    );
    let cases: &[(&str, &[u8], &[u8], usize)] = &[
        // name, input, payload, bytes consumed
        ("empty body", b"0\r\n\r\n", b"", 5),
        ("one chunk", b"5\r\nhello\r\n0\r\n\r\n", b"hello", 15),
        (
            "two chunks",
            b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
            b"hello world",
            26,
        ),
        (
            "upper-case hex",
            b"A\r\n0123456789\r\n0\r\n\r\n",
            b"0123456789",
            20,
        ),
        (
            "lower-case hex",
            b"a\r\n0123456789\r\n0\r\n\r\n",
            b"0123456789",
            20,
        ),
        (
            "leading zeros",
            b"0005\r\nhello\r\n0000\r\n\r\n",
            b"hello",
            21,
        ),
        (
            "extension name",
            b"5;foo\r\nhello\r\n0\r\n\r\n",
            b"hello",
            19,
        ),
        (
            "extension token",
            b"5;foo=bar\r\nhello\r\n0\r\n\r\n",
            b"hello",
            23,
        ),
        (
            "quoted extension with escapes and separators",
            b"5;q=\"a \\\" ; = \\\\ \xC3\xA9\"\r\nhello\r\n0\r\n\r\n",
            b"hello",
            34,
        ),
        (
            "several extensions with whitespace",
            b"5 ; a = b\t;c ;d=\"\"  \r\nhello\r\n0\r\n\r\n",
            b"hello",
            34,
        ),
        (
            "whitespace after the size",
            b"5  \r\nhello\r\n0\r\n\r\n",
            b"hello",
            17,
        ),
        ("extension on the last chunk", b"0;x=y\r\n\r\n", b"", 9),
        (
            "trailers",
            b"0\r\nExpires: never\r\nX-Empty:\r\nX-Tab:\t\xFF\r\n\r\n",
            b"",
            41,
        ),
        (
            "line breaks inside data",
            b"4\r\n\r\n\r\n\r\n0\r\n\r\n",
            b"\r\n\r\n",
            14,
        ),
        ("bytes after the end", b"0\r\n\r\nGET / HTTP/1.1", b"", 5),
        (
            "event stream in chunks",
            b"6\r\ndata: \r\n4\r\nhi\n\n\r\n0\r\n\r\n",
            b"data: hi\n\n",
            25,
        ),
        (
            "longest size line",
            long_line.as_bytes(),
            b"hello",
            long_line.len(),
        ),
        (
            "longest trailers",
            full_trailers.as_bytes(),
            b"",
            full_trailers.len(),
        ),
    ];
    for &(name, input, payload, consumed) in cases {
        let expected = Outcome::Complete {
            payload: payload.to_vec(),
            consumed,
        };
        // The long cases only whole and in two pieces under Miri.
        let outcome = if cfg!(miri) && input.len() > 100 {
            decode_pieces(&[input])
        } else {
            decode_every_split(input)
        };
        assert_eq!(outcome, expected, "{name}");
        assert!(agrees(&outcome, &reference(input)), "{name}: reference");
    }
}

#[test]
fn invalid_bodies() {
    use ChunkedError::*;
    let long_extension = format!("5;{}\r\n", "a".repeat(MAX_CHUNK_LINE_LEN - 1));
    let long_zeros = "0".repeat(MAX_CHUNK_LINE_LEN + 1);
    let long_trailers = format!(
        "0\r\n{}",
        "X: abcdefgh\r\n".repeat(MAX_TRAILERS_LEN / 13 + 1)
    );
    let cases: &[(&str, &[u8], &[u8], ChunkedError)] = &[
        // name, input, payload before the error, error
        ("not hex", b"x\r\n", b"", MalformedSize),
        ("empty size line", b"\r\n", b"", MalformedSize),
        (
            "whitespace before the size",
            b" 5\r\nhello\r\n",
            b"",
            MalformedSize,
        ),
        ("sign", b"-1\r\n", b"", MalformedSize),
        ("0x prefix", b"0x5\r\n", b"", MalformedSize),
        ("two numbers", b"5 5\r\n", b"", MalformedSize),
        (
            "bare LF after the size",
            b"5\nhello\r\n",
            b"",
            MalformedSize,
        ),
        ("CR without LF", b"5\rhello", b"", MalformedSize),
        ("17 hex digits", b"10000000000000000\r\n", b"", SizeOverflow),
        (
            "overflow with zeros",
            b"00ffffffffffffffff0\r\n",
            b"",
            SizeOverflow,
        ),
        (
            "empty extension",
            b"5;\r\nhello\r\n",
            b"",
            MalformedExtension,
        ),
        (
            "empty extension value",
            b"5;a=\r\n",
            b"",
            MalformedExtension,
        ),
        (
            "unterminated quote",
            b"5;a=\"x\r\n",
            b"",
            MalformedExtension,
        ),
        ("space in a name", b"5;a b\r\n", b"", MalformedExtension),
        (
            "control in quotes",
            b"5;a=\"\x01\"\r\n",
            b"",
            MalformedExtension,
        ),
        (
            "bare LF in an extension",
            b"5;a=b\nhello\r\n",
            b"",
            MalformedExtension,
        ),
        (
            "token after quotes",
            b"5;a=\"b\"c\r\n",
            b"",
            MalformedExtension,
        ),
        (
            "data not followed by CRLF",
            b"5\r\nhelloX",
            b"hello",
            MissingCrlf,
        ),
        (
            "data followed by bare LF",
            b"5\r\nhello\n0\r\n\r\n",
            b"hello",
            MissingCrlf,
        ),
        (
            "data followed by CR CR",
            b"5\r\nhello\r\r",
            b"hello",
            MissingCrlf,
        ),
        (
            "chunk longer than its size",
            b"3\r\nhello\r\n",
            b"hel",
            MissingCrlf,
        ),
        (
            "trailer without colon",
            b"0\r\nbad header\r\n\r\n",
            b"",
            MalformedTrailer,
        ),
        (
            "trailer folded",
            b"0\r\n : x\r\n\r\n",
            b"",
            MalformedTrailer,
        ),
        (
            "trailer with bare LF",
            b"0\r\nX: a\n\r\n",
            b"",
            MalformedTrailer,
        ),
        (
            "trailer with NUL",
            b"0\r\nX: \0\r\n\r\n",
            b"",
            MalformedTrailer,
        ),
        ("final CR without LF", b"0\r\n\rX", b"", MalformedTrailer),
        ("final bare LF", b"0\r\n\n", b"", MalformedTrailer),
        (
            "extension too long",
            long_extension.as_bytes(),
            b"",
            LineTooLong,
        ),
        ("zeros too long", long_zeros.as_bytes(), b"", LineTooLong),
        (
            "trailers too long",
            long_trailers.as_bytes(),
            b"",
            TrailersTooLong,
        ),
    ];
    for &(name, input, payload, error) in cases {
        let expected = Outcome::Invalid {
            payload: payload.to_vec(),
            error,
        };
        let outcome = if cfg!(miri) && input.len() > 100 {
            decode_pieces(&[input])
        } else {
            decode_every_split(input)
        };
        assert_eq!(outcome, expected, "{name}");
        assert!(agrees(&outcome, &reference(input)), "{name}: reference");
    }
}

#[test]
fn need_more() {
    let cases: &[(&str, &[u8], &[u8])] = &[
        ("nothing", b"", b""),
        ("in the size", b"ff", b""),
        ("in an extension", b"5;a=\"x", b""),
        ("before LF", b"5\r", b""),
        ("in data", b"5\r\nhel", b"hel"),
        ("before CRLF after data", b"5\r\nhello", b"hello"),
        ("between CR and LF after data", b"5\r\nhello\r", b"hello"),
        ("in trailers", b"0\r\nX: y\r\n", b""),
        ("before the final LF", b"0\r\n\r", b""),
        ("huge chunk", b"ffffffffffffffff\r\nab", b"ab"),
    ];
    for &(name, input, payload) in cases {
        let expected = Outcome::Incomplete {
            payload: payload.to_vec(),
        };
        assert_eq!(decode_every_split(input), expected, "{name}");
        assert!(agrees(&expected, &reference(input)), "{name}: reference");
    }
}

#[test]
fn writing_pieces_decode_back() {
    let mut body = Vec::new();
    for piece in [&b"data: one\n\n"[..], b"x", &[b'y'; 300]] {
        body.extend_from_slice(ChunkHeader::new(piece.len() as u64).as_bytes());
        body.extend_from_slice(piece);
        body.extend_from_slice(CHUNK_END);
    }
    body.extend_from_slice(LAST_CHUNK);
    let mut payload = b"data: one\n\nx".to_vec();
    payload.extend_from_slice(&[b'y'; 300]);
    assert_eq!(
        decode_pieces(&[&body]),
        Outcome::Complete {
            payload,
            consumed: body.len()
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Random bodies.

/// One chunk to write: its payload and how to write its size line.
#[derive(Clone, Debug)]
struct Chunk {
    data: Vec<u8>,
    upper: bool,
    zeros: usize,
    extensions: String,
}

fn extensions() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(
            &[
                ";a",
                ";name=value",
                " ; n = v ",
                ";q=\"quoted \\\" ; = string\"",
                ";e=\"\"",
                ";\t_x-1=\"é\\\\\"\t",
                ";a=b;c",
            ][..],
        ),
        0..3,
    )
    .prop_map(|pieces| pieces.concat())
}

fn chunk() -> impl Strategy<Value = Chunk> {
    (
        prop::collection::vec(any::<u8>(), 1..40),
        any::<bool>(),
        0..3usize,
        extensions(),
    )
        .prop_map(|(data, upper, zeros, extensions)| Chunk {
            data,
            upper,
            zeros,
            extensions,
        })
}

fn trailers() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(("[A-Za-z][A-Za-z0-9-]{0,8}", "[ -~\t]{0,12}"), 0..3)
}

fn encode(chunks: &[Chunk], last: &str, trailers: &[(String, String)]) -> Vec<u8> {
    let mut body = Vec::new();
    for chunk in chunks {
        let size = if chunk.upper {
            format!("{:X}", chunk.data.len())
        } else {
            format!("{:x}", chunk.data.len())
        };
        body.extend_from_slice("0".repeat(chunk.zeros).as_bytes());
        body.extend_from_slice(size.as_bytes());
        body.extend_from_slice(chunk.extensions.as_bytes());
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(&chunk.data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"0");
    body.extend_from_slice(last.as_bytes());
    body.extend_from_slice(b"\r\n");
    for (name, value) in trailers {
        body.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    body.extend_from_slice(b"\r\n");
    body
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: if cfg!(miri) { 4 } else { 512 },
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// Any body decodes to its payload, whole, at every split point, byte by byte and in random
    /// pieces, leaving what follows it.
    #[test]
    fn round_trip(
        chunks in prop::collection::vec(chunk(), 0..6),
        last in extensions(),
        trailers in trailers(),
        tail in prop::collection::vec(any::<u8>(), 0..8),
        sizes in prop::collection::vec(0..20usize, 1..8),
    ) {
        let body = encode(&chunks, &last, &trailers);
        let mut input = body.clone();
        input.extend_from_slice(&tail);
        let expected = Outcome::Complete {
            payload: chunks.iter().flat_map(|c| c.data.iter().copied()).collect(),
            consumed: body.len(),
        };
        prop_assert_eq!(&decode_every_split(&input), &expected);
        prop_assert_eq!(&decode_chunked_as(&input, &sizes), &expected);
        prop_assert!(agrees(&expected, &reference(&input)));
    }

    /// A body with a byte changed, inserted or removed: no panic, the same outcome in any pieces,
    /// and the reference agrees.
    #[test]
    fn mutated(
        chunks in prop::collection::vec(chunk(), 0..4),
        trailers in trailers(),
        edit in (any::<prop::sample::Index>(), 0..3u8, any::<u8>()),
        sizes in prop::collection::vec(0..20usize, 1..8),
    ) {
        let mut input = encode(&chunks, "", &trailers);
        let (at, kind, byte) = edit;
        let at = at.index(input.len());
        match kind {
            0 => input[at] = byte,
            1 => input.insert(at, byte),
            _ => { input.remove(at); }
        }
        let whole = decode_pieces(&[&input]);
        prop_assert_eq!(&decode_chunked_as(&input, &sizes), &whole);
        prop_assert!(agrees(&whole, &reference(&input)), "{:?} {:?}", whole, reference(&input));
    }

    /// Arbitrary bytes, and bytes from the alphabet of chunked bodies: no panic, the same outcome
    /// in any pieces, and the reference agrees.
    #[test]
    fn arbitrary_input(
        input in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..64),
            prop::collection::vec(
                prop::sample::select(&b"0123456789aAfF\r\n;= \t\"\\:xX"[..]),
                0..64,
            ),
        ],
        sizes in prop::collection::vec(0..20usize, 1..8),
    ) {
        let whole = decode_pieces(&[&input]);
        prop_assert_eq!(&decode_chunked_as(&input, &sizes), &whole);
        prop_assert!(agrees(&whole, &reference(&input)), "{:?} {:?}", whole, reference(&input));
    }
}
