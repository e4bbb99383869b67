//! The owned event.

use ssewire::encode::{self, EncodeError};
use ssewire::parse::{self, DEFAULT_EVENT_TYPE};

/// An event that owns its strings: what the streams of this crate yield, and what a
/// [`Hub`](crate::Hub) publishes.
///
/// Built like the core's [`encode::Event`]: `Event::new("data").event("price-update")`.
///
/// A received event keeps apart the `id` field of its own block ([`id`](Event::id)) and the
/// running last event ID ([`last_event_id`](Event::last_event_id)), which an earlier block
/// may have set; relaying a received event writes only the first, so no `id:` line appears
/// that was not in the input ([`Hub::send`](crate::Hub::send)).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Event {
    /// The event type; `message` (or empty) for the default type, which `onmessage` receives.
    pub event: String,
    /// The data: lines joined with LF.
    pub data: String,
    /// The event's own ID. Received: the `id` field of its block, if it had one. Sent: an
    /// `id:` line if set (an empty one clears the client's last event ID); none if `None`
    /// ([`Hub::publish`](crate::Hub::publish) numbers such an event).
    pub id: Option<String>,
    /// Received: the last event ID (`lastEventId` in a browser), set by this or an earlier
    /// block, empty if none; what a client sends as `Last-Event-ID`. Sent: not written.
    pub last_event_id: String,
    /// A reconnection time in milliseconds. Sent: a `retry:` line if set. Received: always
    /// `None`, since a `retry` field is an item of its own ([`Item::Retry`]).
    pub retry: Option<u64>,
}

/// What the event streams of this crate yield: events, and the comments and `retry` values
/// between them, in the order they came (nothing is swallowed).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Item {
    /// An event.
    Event(Event),
    /// A comment (such as a keep-alive), without its colon and one leading space. One longer
    /// than the comment limit is skipped ([`parse::Limits::comment`]).
    Comment(String),
    /// A valid `retry` field: the reconnection time in milliseconds.
    Retry(u64),
}

impl Item {
    /// The owned item of the core's parsed `item`.
    #[must_use]
    pub fn from_parsed(item: parse::Item<'_>) -> Self {
        match item {
            parse::Item::Event(event) => Item::Event(Event::from_parsed(&event)),
            parse::Item::Comment(text) => Item::Comment(text.to_owned()),
            parse::Item::Retry(ms) => Item::Retry(ms),
        }
    }

    /// The item's bytes on the wire: an event as [`Event::encode`] writes it, a comment as
    /// comment lines (one per line of its text), a `retry` value as a `retry` field alone.
    ///
    /// # Errors
    ///
    /// [`EncodeError`] for an event that cannot be encoded (see [`Event::encode`]).
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        match self {
            Item::Event(event) => event.encode(),
            Item::Comment(text) => encode_comment(text),
            Item::Retry(ms) => encode_event(&encode::Event::empty().retry(*ms)),
        }
    }
}

/// The bytes of `event`.
fn encode_event(event: &encode::Event<'_>) -> Result<Vec<u8>, EncodeError> {
    let mut bytes = vec![0; event.encoded_len()?];
    let len = event.encode(&mut bytes)?;
    bytes.truncate(len);
    Ok(bytes)
}

/// The bytes of a comment of `text`.
pub(crate) fn encode_comment(text: &str) -> Result<Vec<u8>, EncodeError> {
    let comment = encode::Comment(text);
    let mut bytes = vec![0; comment.encoded_len()];
    let len = comment.encode(&mut bytes)?;
    bytes.truncate(len);
    Ok(bytes)
}

impl Event {
    /// An event of the default type (`message`) with this data.
    #[must_use]
    pub fn new(data: impl Into<String>) -> Self {
        Event {
            event: DEFAULT_EVENT_TYPE.to_owned(),
            data: data.into(),
            id: None,
            last_event_id: String::new(),
            retry: None,
        }
    }

    /// An event of the default type (`message`) whose data is `value` as JSON: one compact
    /// line (serde_json escapes every line break inside strings, so the data is one `data:`
    /// line). Chain [`event`](Event::event) and [`id`](Event::id) as with [`Event::new`].
    /// Feature `serde`.
    ///
    /// ```
    /// use ssewire_futures::Event;
    ///
    /// #[derive(serde::Serialize)]
    /// struct Progress<'a> {
    ///     percent: u8,
    ///     stage: &'a str,
    /// }
    ///
    /// let event = Event::json_data(&Progress { percent: 40, stage: "say \"hi\"\n" })?
    ///     .event("progress");
    /// assert_eq!(event.data, r#"{"percent":40,"stage":"say \"hi\"\n"}"#);
    /// // One `data:` line: the newline in the string is escaped.
    /// let bytes = br#"event: progress
    /// data: {"percent":40,"stage":"say \"hi\"\n"}
    ///
    /// "#;
    /// assert_eq!(event.encode().unwrap(), bytes);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The serializer's error: a `Serialize` implementation that fails, or a map whose keys
    /// are not strings.
    #[cfg(feature = "serde")]
    pub fn json_data<T: serde::Serialize + ?Sized>(value: &T) -> Result<Self, serde_json::Error> {
        serde_json::to_string(value).map(Event::new)
    }

    /// The event's data parsed as JSON into a `T`. Feature `serde`.
    ///
    /// ```
    /// use ssewire_futures::Event;
    ///
    /// #[derive(Debug, PartialEq, serde::Deserialize)]
    /// struct Price {
    ///     symbol: String,
    ///     price: f64,
    /// }
    ///
    /// let received = Event::new(r#"{"symbol":"ACME","price":12.5}"#).event("price-update");
    /// let price: Price = received.json()?;
    /// assert_eq!(price, Price { symbol: "ACME".into(), price: 12.5 });
    /// // Data that is not JSON, or not a `Price`, is an error.
    /// assert!(Event::new("tick 10").json::<Price>().is_err());
    /// assert!(Event::new(r#"{"symbol":"ACME"}"#).json::<Price>().is_err());
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`serde_json::Error`]: the data is not JSON, or not the JSON of a `T`.
    #[cfg(feature = "serde")]
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.data)
    }

    /// Sets the event type.
    #[must_use]
    pub fn event(self, event: impl Into<String>) -> Self {
        Event {
            event: event.into(),
            ..self
        }
    }

    /// Sets the event's own ID, and the last event ID, which it becomes once received.
    #[must_use]
    pub fn id(self, id: impl Into<String>) -> Self {
        let id = id.into();
        Event {
            last_event_id: id.clone(),
            id: Some(id),
            ..self
        }
    }

    /// Sets the last event ID only: an event received after an earlier one set it.
    #[must_use]
    pub fn last_event_id(self, id: impl Into<String>) -> Self {
        Event {
            last_event_id: id.into(),
            ..self
        }
    }

    /// Sets the reconnection time, in milliseconds.
    #[must_use]
    pub fn retry(self, milliseconds: u64) -> Self {
        Event {
            retry: Some(milliseconds),
            ..self
        }
    }

    /// The event as received.
    #[must_use]
    pub fn from_parsed(event: &parse::Event<'_>) -> Self {
        Event {
            event: event.event.to_owned(),
            data: event.data.to_owned(),
            id: event.id.map(str::to_owned),
            last_event_id: event.last_event_id.to_owned(),
            retry: None,
        }
    }

    /// The event to encode, borrowing this one: no `event` field for the default type, an
    /// `id` field only if [`id`](Event::id) is set.
    pub fn to_encode(&self) -> encode::Event<'_> {
        let mut event = encode::Event::new(&self.data);
        if !self.event.is_empty() && self.event != DEFAULT_EVENT_TYPE {
            event = event.event(&self.event);
        }
        if let Some(id) = &self.id {
            event = event.id(id);
        }
        if let Some(ms) = self.retry {
            event = event.retry(ms);
        }
        event
    }

    /// The event's bytes on the wire.
    ///
    /// # Errors
    ///
    /// [`EncodeError`]: an event type with CR or LF, or an ID with CR, LF or NUL.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        encode_event(&self.to_encode())
    }
}

#[cfg(all(test, feature = "serde"))]
mod tests {
    use futures_lite::future::block_on;
    use futures_lite::StreamExt;
    use serde::{Deserialize, Serialize};
    use ssewire::http::Framing;

    use super::{Event, Item};
    use crate::{EventStream, EventWriter, Hub, HubConfig};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Progress {
        percent: u8,
        stage: String,
    }

    /// Line breaks, quotes and non-ASCII in the strings: all escaped or kept in one line.
    fn progress() -> Progress {
        Progress {
            percent: 40,
            stage: "down\r\nloading \"é\"\u{2028}".to_owned(),
        }
    }

    /// The events of `bytes`, read back.
    fn read(bytes: &[u8]) -> Vec<Event> {
        block_on(EventStream::new(bytes).collect::<Vec<_>>())
            .into_iter()
            .map(|item| match item {
                Ok(Item::Event(event)) => event,
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn json_data_is_one_compact_line_of_the_default_type() {
        let event = Event::json_data(&progress()).unwrap();
        assert_eq!(
            event,
            Event::new(serde_json::to_string(&progress()).unwrap())
        );
        assert!(!event.data.contains(['\r', '\n']), "{}", event.data);
        assert!(!event.data.contains(": "), "not compact: {}", event.data);
        let encoded = String::from_utf8(event.encode().unwrap()).unwrap();
        assert_eq!(encoded.matches("data:").count(), 1, "{encoded}");
        assert!(!encoded.contains("event:"), "{encoded}");
        // A map with keys that are not strings cannot be JSON: an error, not a panic.
        let map = std::collections::BTreeMap::from([((1, 2), 3)]);
        assert!(Event::json_data(&map).is_err());
    }

    #[test]
    fn round_trip_through_a_writer_and_a_stream() {
        let mut writer = EventWriter::new(Vec::new(), Framing::Close);
        let sent = Event::json_data(&progress())
            .unwrap()
            .event("progress")
            .id("7");
        block_on(writer.send(&sent)).unwrap();
        let received = read(writer.get_ref());
        assert_eq!(received, [sent]);
        assert_eq!(received[0].json::<Progress>().unwrap(), progress());
    }

    #[test]
    fn round_trip_through_a_hub() {
        let hub = Hub::new(HubConfig::new());
        let mut subscription = hub.subscribe(None);
        hub.publish(Event::json_data(&progress()).unwrap().event("progress"))
            .unwrap();
        let frames = block_on(subscription.recv()).unwrap();
        let received = read(&frames);
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].id.as_deref(), Some("1"));
        assert_eq!(received[0].json::<Progress>().unwrap(), progress());
    }

    #[test]
    fn data_that_is_not_the_json_asked_for_is_an_error() {
        for data in [
            "",
            "tick 10",
            "{\"percent\":40",
            r#"{"percent":400,"stage":"x"}"#,
        ] {
            let error = Event::new(data).json::<Progress>().unwrap_err();
            assert!(!error.to_string().is_empty(), "{data:?}");
        }
        // Any JSON at all, as a `serde_json::Value`.
        let value: serde_json::Value = Event::new("[1,2]").json().unwrap();
        assert_eq!(value, serde_json::json!([1, 2]));
    }
}
