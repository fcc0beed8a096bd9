//! Huddle's shared core: the board model and the wire protocol.
//!
//! Nothing here does I/O, so the same code runs in the server and in the browser (wasm32), and
//! both sides agree on the document because they run the same code.
//!
//! # Layout
//!
//! - [`access`]: roles, the signed person cookie, link keys, and the gate every incoming
//!   message passes (a viewer's writes, who an awareness state claims to be).
//! - [`people`]: display names and colours: checks, and the defaults of someone who chose none.
//! - [`model`]: the document schema behind a typed API ([`model::Board`]); the only module
//!   that names document keys.
//! - [`storymap`]: story maps resolved from a board snapshot into their grid (map order,
//!   totals) and laid out on the canvas, with drop targets; read by the renderer and export.
//! - [`arrange`]: sorting, clustering, tidying, aligning and distributing a selection or a
//!   frame's contents: pure plans, written by [`model::Board::arrange`] in one transaction.
//! - [`export`]: a board out as a Markdown backlog, Jira CSV or JSON, and a CSV backlog
//!   (Jira, Trello, Huddle) or a board's JSON in, parsed and checked whole before anything
//!   is written.
//! - [`templates`]: what a new board starts with (blank, story map, impact/effort matrix,
//!   retrospective).
//! - [`rounds`]: dot votes, fist to five, planning poker, impact/effort scoring: the rules a
//!   ballot must meet, the tally at the reveal, the decision log, and their messages.
//! - [`facilitation`]: the facilitator and its rotation, the agenda and the server's timer,
//!   private writing, locks and the contribution balance: plain values, rules and messages.
//! - [`comments`]: comment threads on items and points: who may write, edit, delete and
//!   resolve, `@name` mentions, and their messages (the server holds them, not the document).
//! - [`raci`]: RACI matrices as plain values: letters, the rules a row must meet (one A, at
//!   least one R) and the geometry pages draw them with.
//! - [`locks`]: locked items and maps locked for placement: whether an update would change
//!   them, told from its bytes before yrs applies it (an index of the locked blocks).
//! - [`since`]: "since you last looked": the change journal's entries, what a person has
//!   seen, and the list of changes made from them.
//! - [`notify`]: notifications as plain values: what happened on a board, the body each
//!   kind of webhook receiver expects, the signature, the retry schedule, and which
//!   addresses a webhook may not point at.
//! - [`sort`]: stable sorting with one copy of the sort code in the web client.
//! - [`rank`]: fractional rank strings for orderings that converge under concurrent moves.
//! - [`ids`]: board id rules and random item ids.
//! - [`versions`]: version history's plain values: when an hourly version is due, which
//!   versions retention keeps, what changed between two versions.
//! - `tagged`: decoding of internally tagged enums and flattened requests without serde's
//!   buffering (its `Content` copy of each type's decoder was a large part of the web client).
//! - [`wire`]: bytes -> y-sync messages. Frame limits, guarded decoding of untrusted input
//!   ([`wire::validate`] walks an update before yrs sees it), and Huddle's custom messages.

pub mod access;
pub mod arrange;
pub mod comments;
pub mod export;
pub mod facilitation;
pub mod ids;
pub mod json;
pub mod locks;
pub mod model;
pub mod notify;
pub mod people;
pub mod raci;
pub mod rank;
pub mod rounds;
pub mod since;
pub mod sort;
pub mod storymap;
mod tagged;
pub mod templates;
pub mod versions;
pub mod wire;

pub use yrs;
