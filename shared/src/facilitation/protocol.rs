//! What pages and the server say about facilitation: JSON inside Huddle's custom message
//! (`wire::HuddleMessage::FacilitationRequest` and `FacilitationEvent`, kinds 4 and 5,
//! version 1), with the same pattern as rounds: each [`Request`] carries a number that its
//! answer, [`Event::Ack`] (once what it changed is on disk) or [`Event::Refused`] (with the
//! reason), repeats.
//!
//! The public state (facilitator, history, agenda, timer, private writing on or off, locks)
//! is not pushed as events: the server writes it into the document. Events carry only what
//! is one person's: their own private notes, the contribution balance (to the facilitator,
//! or to everyone when shared), and the server's clock.

use serde::Serialize;

use super::{
    Contribution, MAX_EXTEND_SECS, MAX_LOCK_ITEMS, MAX_MINUTES, MAX_STEPS, PrivateNote, Step,
};
use crate::rounds::MAX_ID_CHARS;

// `Request`: a page's numbered request, see [`crate::tagged`].
crate::tagged::numbered_request!(Request, Command);

crate::tagged::tagged_enum! {
    #[serde(tag = "op", rename_all = "snake_case")]
    #[derive(Debug, Clone, PartialEq, Serialize)]
    pub enum Command {
        /// "I speak facilitation": the server answers with its clock, the sender's own private
        /// notes and (to whom it is shown) the contribution balance, and keeps them current.
        Hello,
        /// The facilitator hands the role to `to` (a person present, commenter or above).
        Hand {
            to: String,
        },
        /// The facilitator hands the role to whoever present facilitated least recently.
        Rotate,
        /// An owner takes the role (the facilitator left, or never handed it back).
        Claim,
        /// Replaces the agenda's steps (stops it if it was running).
        AgendaSet {
            steps: Vec<Step>,
        },
        /// Starts step `step` (ending the running one): its timer starts and it arms what it needs.
        AgendaStart {
            step: usize,
        },
        /// Ends the running step and starts the next (or finishes the agenda after the last).
        AgendaNext,
        /// Ends the running step; the agenda stops.
        AgendaStop,
        /// Starts the standalone timer (replacing any).
        TimerStart {
            secs: u32,
            #[serde(default)]
            label: String,
            #[serde(default)]
            sound: bool,
        },
        TimerPause,
        TimerResume,
        /// Adds time (+1 and +5 minutes in the page).
        TimerExtend {
            secs: u32,
        },
        /// Ends the timer early: only the timer (an agenda step it timed runs on until the
        /// facilitator moves on).
        TimerEnd,
        /// Turns private writing on.
        PrivateStart,
        /// Turns it off: everyone's private notes appear on the board at once.
        PrivateEnd,
        /// Creates or replaces one of the sender's private notes.
        PrivatePut {
            note: PrivateNote,
        },
        /// Removes one of the sender's private notes.
        PrivateDelete {
            id: String,
        },
        /// Locks items (facilitator or owner); `placement`: story maps also refuse placements.
        Lock {
            items: Vec<String>,
            #[serde(default)]
            placement: bool,
        },
        /// Unlocks items (facilitator or owner).
        Unlock {
            items: Vec<String>,
        },
        /// The facilitator shows the contribution balance to everyone, or to themselves only.
        ShareBalance {
            everyone: bool,
        },
    }
}

crate::tagged::tagged_enum! {
    #[serde(tag = "ev", rename_all = "snake_case")]
    /// The server's messages about facilitation.
    #[derive(Debug, Clone, PartialEq, Serialize)]
    pub enum Event {
        /// Request `req` is done and durable.
        Ack { req: u64 },
        /// Request `req` was refused; nothing changed.
        Refused { req: u64, reason: String },
        /// The server's clock (ms since the epoch) when it sent this: the page keeps the offset.
        Clock { now: u64 },
        /// The receiver's own private notes (all of them, replacing what the page had).
        Private { notes: Vec<PrivateNote> },
        /// The contribution balance since `since`, quiet ones first.
        Balance {
            since: u64,
            people: Vec<Contribution>,
        },
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("unreadable facilitation message: {0}")]
    Json(String),
    #[error("an id in a facilitation message is empty or longer than {MAX_ID_CHARS} characters")]
    BadId,
    #[error("a facilitation message lists too many steps or items")]
    TooMany,
    #[error("a time in a facilitation message is out of range")]
    BadTime,
}

fn check_id(id: &str) -> Result<(), ProtocolError> {
    if id.is_empty() || id.len() > MAX_ID_CHARS {
        return Err(ProtocolError::BadId);
    }
    Ok(())
}

impl Request {
    /// Decodes a request from untrusted bytes, checking ids, list lengths and times (the
    /// room checks the rules).
    pub fn decode(bytes: &[u8]) -> Result<Request, ProtocolError> {
        let req: Request =
            serde_json::from_slice(bytes).map_err(|e| ProtocolError::Json(e.to_string()))?;
        match &req.cmd {
            Command::Hand { to } => check_id(to)?,
            Command::AgendaSet { steps } if steps.len() > MAX_STEPS => {
                return Err(ProtocolError::TooMany);
            }
            Command::TimerStart { secs, .. } if *secs == 0 || *secs > MAX_MINUTES * 60 => {
                return Err(ProtocolError::BadTime);
            }
            Command::TimerExtend { secs } if *secs == 0 || *secs > MAX_EXTEND_SECS => {
                return Err(ProtocolError::BadTime);
            }
            Command::PrivatePut { note } => check_id(&note.id)?,
            Command::PrivateDelete { id } => check_id(id)?,
            Command::Lock { items, .. } | Command::Unlock { items } => {
                if items.len() > MAX_LOCK_ITEMS {
                    return Err(ProtocolError::TooMany);
                }
                items.iter().try_for_each(|i| check_id(i))?;
            }
            _ => {}
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
