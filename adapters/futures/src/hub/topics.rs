//! Topic names and the set of topics one subscriber asked for.

use core::fmt;

/// The longest topic name, in bytes.
pub const MAX_TOPIC_LEN: usize = 64;

/// Topics per subscription a router allows unless it says otherwise.
pub const DEFAULT_MAX_TOPICS: usize = 16;

/// Why a topic name or a list of topics was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TopicError {
    /// The list names no topic (or the request has no `topics` parameter).
    Missing,
    /// An empty name: `a,,b`, or a comma at an end.
    Empty,
    /// A name longer than [`MAX_TOPIC_LEN`] bytes.
    TooLong,
    /// A name with a byte other than an ASCII letter, digit, `-`, `.`, `_` or `~`.
    Invalid,
    /// More distinct topics than the limit of one subscription.
    TooMany,
}

impl fmt::Display for TopicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TopicError::Missing => "no topics",
            TopicError::Empty => "empty topic name",
            TopicError::TooLong => "topic name too long",
            TopicError::Invalid => "invalid character in topic name",
            TopicError::TooMany => "too many topics",
        })
    }
}

impl std::error::Error for TopicError {}

/// Checks one topic name: 1 to [`MAX_TOPIC_LEN`] bytes, each an ASCII letter, digit, `-`,
/// `.`, `_` or `~` (the characters a URL carries unencoded, none of them the list's comma).
///
/// # Errors
///
/// [`TopicError::Empty`], [`TopicError::TooLong`] or [`TopicError::Invalid`].
pub fn check_name(name: &str) -> Result<(), TopicError> {
    if name.is_empty() {
        return Err(TopicError::Empty);
    }
    if name.len() > MAX_TOPIC_LEN {
        return Err(TopicError::TooLong);
    }
    let allowed = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
    if name.bytes().all(|b| allowed(&b)) {
        Ok(())
    } else {
        Err(TopicError::Invalid)
    }
}

/// The distinct, valid topics one subscriber asked for, in the order first named:
/// what [`Hub::subscribe_to`](crate::Hub::subscribe_to) takes.
///
/// ```
/// use ssewire_futures::hub::{TopicError, Topics};
///
/// let topics = Topics::parse("prices,notes,prices", 16)?;
/// assert_eq!(topics.iter().collect::<Vec<_>>(), ["prices", "notes"]);
/// assert_eq!(Topics::parse("a,b,c", 2), Err(TopicError::TooMany));
/// assert_eq!(Topics::parse("a b", 2), Err(TopicError::Invalid));
/// # Ok::<(), TopicError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Topics {
    names: Vec<Box<str>>,
}

impl Topics {
    /// The topics of a comma-separated `list`, at most `max` distinct ones; a name given
    /// twice counts once.
    ///
    /// # Errors
    ///
    /// [`TopicError::Missing`] for an empty list, [`TopicError::TooMany`] past `max`, and the
    /// errors of [`check_name`] for a bad name.
    pub fn parse(list: &str, max: usize) -> Result<Self, TopicError> {
        Topics::from_names(list.split(','), max)
    }

    /// The topics `names`, at most `max` distinct ones, as [`parse`](Topics::parse).
    ///
    /// # Errors
    ///
    /// As [`parse`](Topics::parse).
    pub fn from_names<'a>(
        names: impl IntoIterator<Item = &'a str>,
        max: usize,
    ) -> Result<Self, TopicError> {
        let mut topics = Topics::default();
        for name in names {
            check_name(name)?;
            if !topics.contains(name) {
                if topics.names.len() == max {
                    return Err(TopicError::TooMany);
                }
                topics.names.push(name.into());
            }
        }
        if topics.names.is_empty() {
            return Err(TopicError::Missing);
        }
        Ok(topics)
    }

    /// Whether `topic` is one of these.
    #[must_use]
    pub fn contains(&self, topic: &str) -> bool {
        self.names.iter().any(|name| &**name == topic)
    }

    /// The topics, in the order first named.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        self.names.iter().map(|name| &**name)
    }

    /// How many topics.
    #[must_use]
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there are none (never, for a parsed set).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        let long = "x".repeat(MAX_TOPIC_LEN);
        let longer = "x".repeat(MAX_TOPIC_LEN + 1);
        let table: &[(&str, Result<(), TopicError>)] = &[
            ("prices", Ok(())),
            ("a-b.c_d~e09", Ok(())),
            ("ROOM.42", Ok(())),
            (&long, Ok(())),
            (&longer, Err(TopicError::TooLong)),
            ("", Err(TopicError::Empty)),
            ("a b", Err(TopicError::Invalid)),
            ("a,b", Err(TopicError::Invalid)),
            ("a\nb", Err(TopicError::Invalid)),
            ("a\rb", Err(TopicError::Invalid)),
            ("a:b", Err(TopicError::Invalid)),
            ("a/b", Err(TopicError::Invalid)),
            ("a%2Cb", Err(TopicError::Invalid)),
            ("prix-\u{e9}", Err(TopicError::Invalid)),
        ];
        for (name, expected) in table {
            assert_eq!(check_name(name), *expected, "{name:?}");
        }
    }

    /// A list, a limit, and the topics or error expected.
    type Case<'a> = (&'a str, usize, Result<&'a [&'a str], TopicError>);

    #[test]
    fn lists_are_parsed_with_a_limit() {
        let table: &[Case<'_>] = &[
            ("prices", 1, Ok(&["prices"])),
            ("prices,notes", 2, Ok(&["prices", "notes"])),
            ("notes,prices", 2, Ok(&["notes", "prices"])),
            ("a,a,a", 1, Ok(&["a"])),
            ("a,b,a", 2, Ok(&["a", "b"])),
            ("a,b,c", 2, Err(TopicError::TooMany)),
            ("a", 0, Err(TopicError::TooMany)),
            ("", 4, Err(TopicError::Empty)),
            ("a,,b", 4, Err(TopicError::Empty)),
            ("a,", 4, Err(TopicError::Empty)),
            (",a", 4, Err(TopicError::Empty)),
            ("a,b c", 4, Err(TopicError::Invalid)),
        ];
        for (list, max, expected) in table {
            let got = Topics::parse(list, *max);
            let got = got
                .as_ref()
                .map(|t| t.iter().collect::<Vec<_>>())
                .map_err(|e| *e);
            assert_eq!(got, expected.map(<[&str]>::to_vec), "{list:?} max {max}");
        }
        assert_eq!(
            Topics::from_names([], 4),
            Err(TopicError::Missing),
            "no names"
        );
    }
}
