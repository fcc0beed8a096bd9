//! The wire protocol: y-sync messages over WebSocket frames, decoded defensively.

pub mod validate;
