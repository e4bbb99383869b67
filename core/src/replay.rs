//! A ring of encoded frames indexed by event id, to answer `Last-Event-ID` (work in progress).
