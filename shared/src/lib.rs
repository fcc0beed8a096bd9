//! Huddle's shared core: the board model and the wire protocol.
//!
//! Nothing here does I/O, so the same code runs in the server and in the browser (wasm32), and
//! both sides agree on the document because they run the same code.
//!
//! # Layout
//!
//! - [`wire`]: bytes -> y-sync messages. Frame limits, guarded decoding of untrusted input
//!   ([`wire::validate`] walks an update before yrs sees it), and Huddle's custom messages.
