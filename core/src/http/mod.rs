//! HTTP/1.1, only what Server-Sent Events need (work in progress).
