//! What pages and the server say about comments: JSON inside Huddle's custom message
//! (`wire::HuddleMessage::CommentRequest` and `CommentEvent`, kinds 6 and 7, version 1),
//! in the pattern of rounds and facilitation: each [`Request`] carries a number that its
//! answer, [`Event::Ack`] (once what it changed is on disk) or [`Event::Refused`] (with the
//! reason), repeats.
//!
//! No request names its author: the server takes the connection's person, and a request
//! that claims one (an `author`, `name` or `by` field) is refused as a forgery. Thread and comment
//! ids are the page's (random), so a page that sends a comment again after a reconnect (it
//! never got the ack) is answered with an ack and nothing is duplicated.

use serde::Serialize;

use super::{Anchor, MAX_COMMENT_CHARS, MAX_ID_CHARS, Mentionable, Thread};

// `Request`: a page's numbered request, see [`crate::tagged`].
crate::tagged::numbered_request!(Request, Command);

crate::tagged::tagged_enum! {
    #[serde(tag = "op", rename_all = "snake_case")]
    #[derive(Debug, Clone, PartialEq, Serialize)]
    pub enum Command {
        /// "I speak comments": the server sends every thread and the people who can be
        /// mentioned, then every change to a thread as it happens.
        Hello,
        /// Starts a thread with its first comment.
        Start {
            thread: String,
            anchor: Anchor,
            comment: String,
            text: String,
        },
        /// Adds a comment to a thread (a resolved thread opens again).
        Reply {
            thread: String,
            comment: String,
            text: String,
        },
        /// Changes one's own comment.
        Edit {
            thread: String,
            comment: String,
            text: String,
        },
        /// Deletes one's own comment (an owner: anyone's); it stays in the thread as deleted.
        Delete {
            thread: String,
            comment: String,
        },
        Resolve {
            thread: String,
        },
        Reopen {
            thread: String,
        },
    }
}

crate::tagged::tagged_enum! {
    #[serde(tag = "ev", rename_all = "snake_case")]
    /// The server's messages about comments.
    #[derive(Debug, Clone, PartialEq, Serialize)]
    pub enum Event {
        /// Request `req` is done and durable.
        Ack { req: u64 },
        /// Request `req` was refused; nothing changed.
        Refused { req: u64, reason: String },
        /// Every thread of the board (after hello; replaces what the page had).
        Threads { threads: Vec<Thread> },
        /// One thread as it is now (created or changed by anyone).
        Thread { thread: Thread },
        /// The people with a role on the board, for `@` completion.
        People { people: Vec<Mentionable> },
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("unreadable comment message: {0}")]
    Json(String),
    #[error("an id in a comment message is empty or longer than {MAX_ID_CHARS} characters")]
    BadId,
    #[error("a comment message's text is longer than {MAX_COMMENT_CHARS} characters")]
    TooLong,
    #[error(
        "a comment request may not name its author ({0:?}): comments are attributed to the person connected"
    )]
    ForgedAuthor(String),
}

/// Fields that would say who wrote a comment: the server's to fill, never a page's.
const AUTHOR_FIELDS: [&str; 3] = ["author", "name", "by"];

fn check_id(id: &str) -> Result<(), ProtocolError> {
    if id.is_empty() || id.len() > MAX_ID_CHARS {
        return Err(ProtocolError::BadId);
    }
    Ok(())
}

fn check_len(text: &str) -> Result<(), ProtocolError> {
    // Bytes first: a cheap bound before counting characters.
    if text.len() > MAX_COMMENT_CHARS * 4 || text.chars().count() > MAX_COMMENT_CHARS {
        return Err(ProtocolError::TooLong);
    }
    Ok(())
}

impl Request {
    /// Decodes a request from untrusted bytes, checking ids and lengths (the room checks the
    /// rules).
    pub fn decode(bytes: &[u8]) -> Result<Request, ProtocolError> {
        let json: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(bytes).map_err(|e| ProtocolError::Json(e.to_string()))?;
        if let Some(field) = AUTHOR_FIELDS.iter().find(|f| json.contains_key(**f)) {
            return Err(ProtocolError::ForgedAuthor((*field).to_owned()));
        }
        // From the bytes again, not from `json`: its keys are sorted, which would put the
        // command's tag after its fields and take the slow path of [`crate::tagged`].
        let req: Request =
            serde_json::from_slice(bytes).map_err(|e| ProtocolError::Json(e.to_string()))?;
        match &req.cmd {
            Command::Hello => {}
            Command::Start {
                thread,
                anchor,
                comment,
                text,
            } => {
                check_id(thread)?;
                check_id(comment)?;
                if let Anchor::Item { item } = anchor {
                    check_id(item)?;
                }
                check_len(text)?;
            }
            Command::Reply {
                thread,
                comment,
                text,
            }
            | Command::Edit {
                thread,
                comment,
                text,
            } => {
                check_id(thread)?;
                check_id(comment)?;
                check_len(text)?;
            }
            Command::Delete { thread, comment } => {
                check_id(thread)?;
                check_id(comment)?;
            }
            Command::Resolve { thread } | Command::Reopen { thread } => check_id(thread)?,
        }
        Ok(req)
    }

    pub fn encode(&self) -> Vec<u8> {
        // Plain structs of strings, numbers and lists always serialise.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

impl Event {
    pub fn decode(bytes: &[u8]) -> Result<Event, ProtocolError> {
        serde_json::from_slice(bytes).map_err(|e| ProtocolError::Json(e.to_string()))
    }

    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}
