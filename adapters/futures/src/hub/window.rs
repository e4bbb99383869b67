//! The hub's replay window: the shared frames of the last events, found by id.

use std::collections::VecDeque;

use ssewire::replay::{storage_len, Miss, Replay};

use super::{wants, Encoded, Topics};

/// The last events published with an id, as the frames their subscribers got: a replay hands
/// out the same [`Encoded`] frames, so collecting one for a subscriber copies nothing (a
/// reference count each), however many subscribers replay at once.
///
/// The core's [`Replay`] ring is the index: it holds each event's id (and no frame) and
/// answers `Last-Event-ID`, with its rules for repeated, numeric and unknown ids. The frames
/// sit beside it, newest last, bounded by the window's bytes. When they outgrow it the oldest
/// frames go first; the ring may still know their ids for a while, and a `Last-Event-ID`
/// among them is a [`Miss::Evicted`], as for an id the ring dropped itself.
pub(super) struct Window {
    ids: Replay<Vec<u8>>,
    /// The frames of the ring's newest `frames.len()` events, oldest first.
    frames: VecDeque<Kept>,
    /// Bytes of the kept frames and their ids.
    bytes: usize,
    max_bytes: usize,
}

struct Kept {
    frame: Encoded,
    /// Its id's length, counted in the window's bytes.
    id_len: usize,
    /// Its topic; `None` for an event published without one.
    topic: Option<Box<str>>,
}

impl Kept {
    /// What it counts in the window's bytes: its frame and its id.
    fn len(&self) -> usize {
        self.id_len + self.frame.len()
    }
}

impl Window {
    /// An empty window of at most `max_events` events in `max_bytes` of frames and ids.
    pub(super) fn new(max_events: usize, max_bytes: usize) -> Self {
        // Ids alone: bounded by the frames' bytes, which include them.
        let storage = vec![0; storage_len(max_events, max_bytes)];
        Window {
            ids: Replay::new(storage, max_events),
            frames: VecDeque::new(),
            bytes: 0,
            max_bytes,
        }
    }

    /// Keeps `frame`, the event with id `id`, of `topic`, dropping the oldest events to make
    /// room. A frame larger than the window is not kept: a subscriber resuming after it gets
    /// a miss.
    pub(super) fn push(&mut self, id: &str, frame: &Encoded, topic: Option<&str>) {
        let len = id.len().saturating_add(frame.len());
        if len > self.max_bytes || self.ids.push(id, b"").is_err() {
            return;
        }
        self.frames.push_back(Kept {
            frame: frame.clone(),
            id_len: id.len(),
            topic: topic.map(Into::into),
        });
        self.bytes += len;
        // The ring drops its oldest ids to stay within its number of events: their frames go.
        let dropped = self.frames.len().saturating_sub(self.ids.len());
        for kept in self.frames.drain(..dropped) {
            self.bytes -= kept.len();
        }
        while self.bytes > self.max_bytes {
            let Some(kept) = self.frames.pop_front() else {
                break;
            };
            self.bytes -= kept.len();
        }
    }

    /// The frames after the event with id `last_event_id` (every frame for `None`) that a
    /// subscriber to `topics` (`None`: everything) gets, oldest first.
    pub(super) fn since(
        &self,
        last_event_id: Option<&str>,
        topics: Option<&Topics>,
    ) -> Result<VecDeque<Encoded>, Miss> {
        let after = match last_event_id {
            None => self.frames.len(),
            Some(id) => self.ids.since(id)?.len(),
        };
        // Its id is known but the frames after it are not all kept.
        let skip = self.frames.len().checked_sub(after).ok_or(Miss::Evicted)?;
        Ok(self
            .frames
            .iter()
            .skip(skip)
            .filter(|kept| wants(topics, kept.topic.as_deref()))
            .map(|kept| kept.frame.clone())
            .collect())
    }

    /// Events kept.
    pub(super) fn len(&self) -> usize {
        self.frames.len()
    }

    /// The id of the newest event kept.
    pub(super) fn newest_id(&self) -> Option<&str> {
        self.ids.newest_id().filter(|_| !self.frames.is_empty())
    }
}
