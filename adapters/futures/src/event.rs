//! The owned event.

use ssewire::encode::{self, EncodeError};
use ssewire::parse::{self, DEFAULT_EVENT_TYPE};

/// An event that owns its strings: what the streams of this crate yield, and what a
/// [`Hub`](crate::Hub) publishes.
///
/// Built like the core's [`encode::Event`]: `Event::new("data").event("price-update")`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Event {
    /// The event type; `message` (or empty) for the default type, which `onmessage` receives.
    pub event: String,
    /// The data: lines joined with LF.
    pub data: String,
    /// The event ID. Received: the last event ID (`lastEventId` in a browser), set by this or
    /// an earlier event, empty if none. Sent: written if not empty (a [`Hub`](crate::Hub)
    /// assigns one if empty).
    pub id: String,
    /// A reconnection time in milliseconds. Received: the `retry` value the server sent since
    /// the previous event, if any. Sent: written if set.
    pub retry: Option<u64>,
}

impl Event {
    /// An event of the default type (`message`) with this data.
    #[must_use]
    pub fn new(data: impl Into<String>) -> Self {
        Event {
            event: DEFAULT_EVENT_TYPE.to_owned(),
            data: data.into(),
            id: String::new(),
            retry: None,
        }
    }

    /// Sets the event type.
    #[must_use]
    pub fn event(self, event: impl Into<String>) -> Self {
        Event {
            event: event.into(),
            ..self
        }
    }

    /// Sets the event ID.
    #[must_use]
    pub fn id(self, id: impl Into<String>) -> Self {
        Event {
            id: id.into(),
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

    /// The event as received: `retry` is the value the server sent since the previous event.
    #[must_use]
    pub fn from_parsed(event: &parse::Event<'_>, retry: Option<u64>) -> Self {
        Event {
            event: event.event.to_owned(),
            data: event.data.to_owned(),
            id: event.id.to_owned(),
            retry,
        }
    }

    /// The event to encode, borrowing this one: no `event` field for the default type, no
    /// `id` field if the ID is empty.
    pub fn to_encode(&self) -> encode::Event<'_> {
        let mut event = encode::Event::new(&self.data);
        if !self.event.is_empty() && self.event != DEFAULT_EVENT_TYPE {
            event = event.event(&self.event);
        }
        if !self.id.is_empty() {
            event = event.id(&self.id);
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
        let event = self.to_encode();
        let mut bytes = vec![0; event.encoded_len()?];
        let len = event.encode(&mut bytes)?;
        bytes.truncate(len);
        Ok(bytes)
    }
}

/// The one rule for `retry` values received: each goes with the event that follows it (as
/// [`Event::retry`]), for the readers of this crate that yield events only.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RetryCarry(Option<u64>);

impl RetryCarry {
    /// A `retry` value was received.
    pub(crate) fn set(&mut self, milliseconds: u64) {
        self.0 = Some(milliseconds);
    }

    /// The owned event, with the `retry` value received since the previous one.
    pub(crate) fn event(&mut self, event: &parse::Event<'_>) -> Event {
        Event::from_parsed(event, self.0.take())
    }
}
