//! Huddle browser client.
