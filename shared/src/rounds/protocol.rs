//! What pages and the server say about rounds: JSON inside Huddle's custom message
//! (`wire::HuddleMessage::RoundRequest` and `RoundEvent`, kinds 2 and 3, version 1).
//!
//! A page sends [`Request`]s, each with its own number; the server answers every one with
//! [`Event::Ack`] (after what it changed is on disk) or [`Event::Refused`] (with a reason), and
//! pushes [`Event::Round`] (a person's own view of an open round), [`Event::Progress`] ("7 of
//! 9 have voted") and [`Event::Closed`] to connections that said [`Command::Hello`]. No event
//! carries anyone's ballot but the receiver's own.

use serde::{Deserialize, Serialize};

use super::{Ballot, MAX_ID_CHARS, MAX_TARGETS, Round, Scope, Settings, Status};

// `Request`: a page's numbered request, see [`crate::tagged`].
crate::tagged::numbered_request!(Request, Command);

crate::tagged::tagged_enum! {
    #[serde(tag = "op", rename_all = "snake_case")]
    #[derive(Debug, Clone, PartialEq, Serialize)]
    pub enum Command {
        /// "I speak rounds": the server sends this connection the open rounds and, from now on,
        /// their progress.
        Hello,
        /// Opens a round (owner or editor).
        Open {
            settings: Settings,
            targets: Vec<String>,
            #[serde(default)]
            scope: Scope,
            /// Impact/effort: the matrix's area `[x, y, w, h]`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            area: Option<[f64; 4]>,
        },
        /// Replaces the sender's ballot (an empty one withdraws it).
        Cast { round: String, ballot: Ballot },
        /// Ends the round and publishes its result (owner or editor).
        Reveal { round: String },
        /// Ends the round without a result (owner or editor).
        Cancel { round: String },
        /// Opens a new round with the settings and items of a closed one.
        Rerun { round: String },
        /// Fist to five, after the reveal: what would change the sender's mind (only from those
        /// who showed 0 to 2, once).
        Dissent { round: String, text: String },
        /// Poker, after the reveal: records `card` as the estimate accepted for `item` (the page
        /// writes the estimate into the story itself, as one undoable change).
        Accept {
            round: String,
            item: String,
            card: String,
        },
        /// Appends an entry to the decision log (owner or editor).
        Decide {
            text: String,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            round: Option<String>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            corrects: Option<String>,
        },
    }
}

crate::tagged::tagged_enum! {
    #[serde(tag = "ev", rename_all = "snake_case")]
    /// The server's messages about rounds.
    // A view is the big one and the most frequent after progress; boxing it would save a few
    // hundred bytes of stack per event, not worth an allocation per message.
    #[allow(clippy::large_enum_variant)]
    #[derive(Debug, Clone, PartialEq, Serialize)]
    pub enum Event {
        /// Request `req` is done and durable; `id`: the round or decision it created.
        Ack {
            req: u64,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            id: Option<String>,
        },
        /// Request `req` was refused; nothing changed.
        Refused { req: u64, reason: String },
        /// The receiver's own view of a round (open, or revealed and asking for their dissent).
        Round(RoundView),
        /// How many have voted in an open round.
        Progress { round: String, voted: u32, of: u32 },
        /// The round is over (its result, if revealed, is in the board's `rounds` map).
        Closed { round: String, status: Status },
    }
}

/// A round as one person sees it: everything public, plus their own ballot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundView {
    pub round: Round,
    pub voted: u32,
    /// People who may vote and are present or have voted.
    pub of: u32,
    /// The receiver's own ballot.
    pub mine: Ballot,
    /// Dots the receiver has left (dot votes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<u32>,
    /// May the receiver vote (a viewer sees the round but may not)?
    #[serde(default)]
    pub can_vote: bool,
    /// Fist to five, revealed: the receiver showed 0 to 2 and has not written their dissent.
    #[serde(default)]
    pub can_dissent: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("unreadable round message: {0}")]
    Json(String),
    #[error("an id in a round message is empty or longer than {MAX_ID_CHARS} characters")]
    BadId,
    #[error("a round message lists more than {MAX_TARGETS} items")]
    TooMany,
}

fn check_id(id: &str) -> Result<(), ProtocolError> {
    if id.is_empty() || id.len() > MAX_ID_CHARS {
        return Err(ProtocolError::BadId);
    }
    Ok(())
}

impl Request {
    /// Decodes a request from untrusted bytes, checking every id and list length.
    pub fn decode(bytes: &[u8]) -> Result<Request, ProtocolError> {
        let req: Request =
            serde_json::from_slice(bytes).map_err(|e| ProtocolError::Json(e.to_string()))?;
        match &req.cmd {
            Command::Hello => {}
            Command::Open { targets, .. } => {
                if targets.len() > MAX_TARGETS {
                    return Err(ProtocolError::TooMany);
                }
                targets.iter().try_for_each(|t| check_id(t))?;
            }
            Command::Cast { round, ballot } => {
                check_id(round)?;
                if ballot.len() > MAX_TARGETS {
                    return Err(ProtocolError::TooMany);
                }
                ballot.keys().try_for_each(|t| check_id(t))?;
            }
            Command::Reveal { round }
            | Command::Cancel { round }
            | Command::Rerun { round }
            | Command::Dissent { round, .. } => check_id(round)?,
            Command::Accept { round, item, .. } => {
                check_id(round)?;
                check_id(item)?;
            }
            Command::Decide {
                round, corrects, ..
            } => {
                round.as_deref().map(check_id).transpose()?;
                corrects.as_deref().map(check_id).transpose()?;
            }
        }
        Ok(req)
    }

    pub fn encode(&self) -> Vec<u8> {
        // Plain structs of strings, numbers and maps with string keys always serialise.
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
