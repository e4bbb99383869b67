//! Helpers shared by the integration tests.

pub(crate) mod chunked;
pub(crate) mod reference;
