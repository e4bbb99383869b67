//! JSON strings, written by hand: the programs print and serve small JSON objects and need
//! nothing more than a correct string escaper.

use std::fmt::Write;

/// Appends `value` to `out` as a JSON string, quotes included.
///
/// `"` and `\` are escaped, and so is every control character (U+0000 to U+001F): as `\n`,
/// `\r`, `\t`, `\b`, `\f`, or `\u00XX`. Everything else, non-ASCII included, is written as it
/// is (JSON text is UTF-8).
pub fn push_str(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `value` as a JSON string, quotes included.
#[must_use]
pub fn string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    push_str(&mut out, value);
    out
}

/// A JSON object of string members, in the given order: `{"a":"1","b":"2"}`.
#[must_use]
pub fn object(members: &[(&str, &str)]) -> String {
    let mut out = String::from("{");
    for (i, (name, value)) in members.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_str(&mut out, name);
        out.push(':');
        push_str(&mut out, value);
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_quotes_backslashes_and_controls() {
        let table = [
            ("", r#""""#),
            ("plain", r#""plain""#),
            ("say \"hi\"", r#""say \"hi\"""#),
            ("back\\slash", r#""back\\slash""#),
            ("a\nb\rc\td", r#""a\nb\rc\td""#),
            ("\u{8}\u{c}", r#""\b\f""#),
            ("\0\u{1}\u{1f}", r#""\u0000\u0001\u001f""#),
            ("\u{7f} é 😀", "\"\u{7f} é 😀\""),
            ("</script>", r#""</script>""#),
        ];
        for (input, expected) in table {
            assert_eq!(string(input), expected, "{input:?}");
        }
    }

    #[test]
    fn round_trips_through_a_json_parser() {
        // Every character class the escaper treats differently, and every control character.
        let mut all: String = (0u32..0x80).filter_map(char::from_u32).collect();
        all.push_str("é€😀\u{2028}\u{fffd}");
        let parsed: String = serde_json::from_str(&string(&all)).unwrap();
        assert_eq!(parsed, all);
    }

    #[test]
    fn objects_keep_their_order() {
        let json = object(&[
            ("event", "price-update"),
            ("data", "{\"x\":1}"),
            ("id", "7"),
        ]);
        assert_eq!(
            json,
            r#"{"event":"price-update","data":"{\"x\":1}","id":"7"}"#
        );
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["data"], "{\"x\":1}");
        assert_eq!(object(&[]), "{}");
    }
}
