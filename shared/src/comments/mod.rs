//! Comments: threads attached to an item or to a point on the board, their comments, who
//! wrote them, whom they mention, and whether the thread is resolved, as plain values and
//! rules (no I/O).
//!
//! Why the server holds them rather than the document: a comment's author must be the person
//! who wrote it (anything in the document can be written by every editor, under any name),
//! and a commenter may not write the document at all. So the room applies [`Threads::apply`]
//! for the connection's person, stores the changed thread, and sends it to everyone; the
//! page never writes a comment itself.
//!
//! Threads are kept when their item moves (they name the item, not a position) and when it
//! is deleted (the page greys them and the export marks them). Comments that are deleted stay
//! in their thread as "deleted" (their text is dropped) so replies keep their context.
//!
//! # Layout
//!
//! - this file: [`Thread`], [`Comment`], [`Anchor`], [`Resolution`], the limits, and the
//!   rules ([`Threads::apply`]: who may do what, idempotent for a page that sends again);
//! - `mention`: `@name` mentions resolved against the people with a role on the board, and
//!   the completion a page offers while typing;
//! - `protocol`: the messages ([`Request`], [`Command`], [`Event`]), JSON inside Huddle's
//!   custom message, kinds 6 and 7.

pub mod mention;
pub mod protocol;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::access::Role;

pub use mention::{Mentionable, complete, mention_query, resolve_mentions};
pub use protocol::{Command, Event, ProtocolError, Request};

/// Longest comment, in characters: a few paragraphs; a spec belongs in the story.
pub const MAX_COMMENT_CHARS: usize = 4_000;
/// Most comments in one thread: a long discussion fits; past that, start a new thread.
pub const MAX_COMMENTS_PER_THREAD: usize = 500;
/// Most threads on one board (open and resolved): each is loaded with the room.
pub const MAX_THREADS: usize = 5_000;
/// Longest thread or comment id, in characters (pages make 16-character ids).
pub const MAX_ID_CHARS: usize = crate::rounds::MAX_ID_CHARS;
/// Largest coordinate of a thread pinned to a point (as for notes).
pub const MAX_COORD: f64 = 1e7;

crate::tagged::tagged_enum! {
    #[serde(tag = "on", rename_all = "snake_case")]
    /// What a thread is attached to.
    #[derive(Debug, Clone, PartialEq, Serialize)]
    pub enum Anchor {
        /// An item (note, story, frame, map part, ...): the pin follows it as it moves.
        Item { item: String },
        /// A point on the board.
        Point { pos: [f64; 2] },
    }
}

impl Anchor {
    /// The item it is attached to, if any.
    pub fn item(&self) -> Option<&str> {
        match self {
            Anchor::Item { item } => Some(item),
            Anchor::Point { .. } => None,
        }
    }

    fn check(&self) -> Result<(), CommentError> {
        match self {
            Anchor::Item { item } => check_id(item),
            Anchor::Point { pos } => {
                if pos.iter().all(|v| v.is_finite() && v.abs() <= MAX_COORD) {
                    Ok(())
                } else {
                    Err(CommentError::BadPoint)
                }
            }
        }
    }
}

/// One comment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    /// Made by the page (random), so a comment sent again after a reconnect is recognised.
    pub id: String,
    /// The author's person id (the server's: the connection's person, never the page's say).
    pub author: String,
    /// The author's name when they wrote (or last edited) it.
    pub name: String,
    /// Empty once deleted.
    pub text: String,
    /// Person ids mentioned with `@name` (resolved by the server), in order of appearance.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<String>,
    /// Milliseconds since the epoch (server clock).
    pub created_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<u64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

/// Who resolved a thread, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    pub by: String,
    pub name: String,
    pub at: u64,
}

/// A thread: its anchor, its comments (oldest first), and whether it is resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Thread {
    pub id: String,
    pub anchor: Anchor,
    pub comments: Vec<Comment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<Resolution>,
}

impl Thread {
    pub fn is_open(&self) -> bool {
        self.resolved.is_none()
    }

    /// Who started it (the first comment's author).
    pub fn started_by(&self) -> Option<&str> {
        self.comments.first().map(|c| c.author.as_str())
    }

    /// Whether `person` wrote in it.
    pub fn involves(&self, person: &str) -> bool {
        self.comments.iter().any(|c| c.author == person)
    }

    /// Whether a comment still in it (not deleted) mentions `person`.
    pub fn mentions(&self, person: &str) -> bool {
        self.comments
            .iter()
            .any(|c| !c.deleted && c.mentions.iter().any(|m| m == person))
    }

    /// The time of its latest comment or edit (for ordering lists).
    pub fn last_activity(&self) -> u64 {
        self.comments
            .iter()
            .map(|c| c.edited_at.unwrap_or(c.created_at))
            .chain(self.resolved.as_ref().map(|r| r.at))
            .max()
            .unwrap_or(0)
    }

    fn comment_mut(&mut self, id: &str) -> Result<&mut Comment, CommentError> {
        self.comments
            .iter_mut()
            .find(|c| c.id == id)
            .ok_or(CommentError::NoSuchComment)
    }
}

/// Who does something: the connection's person as the server knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: String,
    pub name: String,
    pub role: Role,
}

/// Why a command was refused (sent to the person as the reason).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommentError {
    #[error("viewers can read comments but not write them; ask an owner for the commenter role")]
    Viewer,
    #[error("a comment cannot be empty")]
    Empty,
    #[error("a comment has at most {MAX_COMMENT_CHARS} characters")]
    TooLong,
    #[error("an id is empty or longer than {MAX_ID_CHARS} characters")]
    BadId,
    #[error("a thread's point is out of range")]
    BadPoint,
    #[error("there is no such thread on this board")]
    NoSuchThread,
    #[error("there is no such comment in this thread")]
    NoSuchComment,
    #[error("that id is taken; reload the page")]
    IdTaken,
    #[error("you can edit only your own comments")]
    NotYours,
    #[error("you can delete only your own comments (owners may delete any)")]
    NotYoursToDelete,
    #[error("a deleted comment cannot be edited")]
    Deleted,
    #[error("this board has {MAX_THREADS} threads, the most it holds; resolve and delete some")]
    TooManyThreads,
    #[error(
        "this thread has {MAX_COMMENTS_PER_THREAD} comments, the most it holds; start a new one"
    )]
    TooManyComments,
}

fn check_id(id: &str) -> Result<(), CommentError> {
    if id.is_empty() || id.len() > MAX_ID_CHARS {
        return Err(CommentError::BadId);
    }
    Ok(())
}

/// Checks a comment's text (trimmed it must not be empty; at most [`MAX_COMMENT_CHARS`]).
pub fn check_text(text: &str) -> Result<(), CommentError> {
    if text.trim().is_empty() {
        return Err(CommentError::Empty);
    }
    if text.chars().count() > MAX_COMMENT_CHARS {
        return Err(CommentError::TooLong);
    }
    Ok(())
}

/// What a comment that was posted or edited tells others: for notifications (mentions and
/// replies), which another part of the server delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct News {
    pub thread: String,
    pub comment: String,
    /// The author.
    pub by: String,
    /// People newly mentioned (not the author; on an edit, only those not mentioned before).
    pub mentioned: Vec<String>,
    /// A reply: the people who wrote in the thread before (not the author).
    pub replied_to: Vec<String>,
}

/// What an accepted command did.
// One lives briefly per request, so the thread is not boxed.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The thread changed: store it and send it to everyone; `news` for notifications.
    Changed { thread: Thread, news: Option<News> },
    /// Nothing to do: the same command was applied before (a page sending again after a
    /// reconnect), or the thread already is as asked.
    Unchanged,
}

/// A board's threads, by id.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Threads {
    pub by_id: BTreeMap<String, Thread>,
}

impl Threads {
    pub fn new(threads: impl IntoIterator<Item = Thread>) -> Threads {
        Threads {
            by_id: crate::sort::map_of(threads.into_iter().map(|t| (t.id.clone(), t))),
        }
    }

    /// Every thread, oldest first (by its first comment), ties by id.
    /// Thread `id`, if the board has it.
    pub fn get(&self, id: &str) -> Option<&Thread> {
        self.by_id.get(id)
    }

    pub fn ordered(&self) -> Vec<&Thread> {
        let mut all: Vec<&Thread> = self.by_id.values().collect();
        crate::sort::sort_by_key(&mut all, |t| {
            (t.comments.first().map_or(0, |c| c.created_at), t.id.clone())
        });
        all
    }

    /// Applies `cmd` for `actor` at `now`: the rules of who may do what. `people` are those
    /// with a role on the board (for mentions). [`Command::Hello`] changes nothing.
    pub fn apply(
        &mut self,
        actor: &Actor,
        cmd: &Command,
        people: &[Mentionable],
        now: u64,
    ) -> Result<Outcome, CommentError> {
        if matches!(cmd, Command::Hello) {
            return Ok(Outcome::Unchanged);
        }
        if !actor.role.may_comment() {
            return Err(CommentError::Viewer);
        }
        let new_comment = |id: &str, text: &str| Comment {
            id: id.to_owned(),
            author: actor.id.clone(),
            name: actor.name.clone(),
            text: text.to_owned(),
            mentions: resolve_mentions(text, people),
            created_at: now,
            edited_at: None,
            deleted: false,
        };
        match cmd {
            Command::Hello => Ok(Outcome::Unchanged),
            Command::Start {
                thread,
                anchor,
                comment,
                text,
            } => {
                check_id(thread)?;
                check_id(comment)?;
                anchor.check()?;
                if let Some(existing) = self.by_id.get(thread) {
                    // Sent again (the page did not get the ack before a reconnect)?
                    let first = existing.comments.first();
                    if first.is_some_and(|c| c.id == *comment && c.author == actor.id) {
                        return Ok(Outcome::Unchanged);
                    }
                    return Err(CommentError::IdTaken);
                }
                check_text(text)?;
                if self.by_id.len() >= MAX_THREADS {
                    return Err(CommentError::TooManyThreads);
                }
                let first = new_comment(comment, text);
                let news = news_of(thread, &first, &[], Vec::new());
                let t = Thread {
                    id: thread.clone(),
                    anchor: anchor.clone(),
                    comments: vec![first],
                    resolved: None,
                };
                self.by_id.insert(thread.clone(), t.clone());
                Ok(Outcome::Changed { thread: t, news })
            }
            Command::Reply {
                thread,
                comment,
                text,
            } => {
                check_id(comment)?;
                if self.comment_id_taken(comment) {
                    let t = self.by_id.get(thread).ok_or(CommentError::IdTaken)?;
                    let same = t
                        .comments
                        .iter()
                        .any(|c| c.id == *comment && c.author == actor.id);
                    return if same {
                        Ok(Outcome::Unchanged)
                    } else {
                        Err(CommentError::IdTaken)
                    };
                }
                check_text(text)?;
                let t = self
                    .by_id
                    .get_mut(thread)
                    .ok_or(CommentError::NoSuchThread)?;
                if t.comments.len() >= MAX_COMMENTS_PER_THREAD {
                    return Err(CommentError::TooManyComments);
                }
                let mut before: Vec<String> = Vec::new();
                for c in &t.comments {
                    if c.author != actor.id && !before.contains(&c.author) {
                        before.push(c.author.clone());
                    }
                }
                let c = new_comment(comment, text);
                let news = news_of(thread, &c, &[], before);
                t.comments.push(c);
                // Answering a resolved thread opens it again: the question is live once more.
                t.resolved = None;
                Ok(Outcome::Changed {
                    thread: t.clone(),
                    news,
                })
            }
            Command::Edit {
                thread,
                comment,
                text,
            } => {
                check_text(text)?;
                let t = self
                    .by_id
                    .get_mut(thread)
                    .ok_or(CommentError::NoSuchThread)?;
                let c = t.comment_mut(comment)?;
                if c.author != actor.id {
                    return Err(CommentError::NotYours);
                }
                if c.deleted {
                    return Err(CommentError::Deleted);
                }
                if c.text == *text {
                    return Ok(Outcome::Unchanged);
                }
                let mentions = resolve_mentions(text, people);
                let before = std::mem::replace(&mut c.mentions, mentions);
                c.text = text.clone();
                c.name = actor.name.clone();
                c.edited_at = Some(now);
                let news = news_of(thread, c, &before, Vec::new());
                Ok(Outcome::Changed {
                    thread: t.clone(),
                    news,
                })
            }
            Command::Delete { thread, comment } => {
                let t = self
                    .by_id
                    .get_mut(thread)
                    .ok_or(CommentError::NoSuchThread)?;
                let c = t.comment_mut(comment)?;
                if c.author != actor.id && actor.role != Role::Owner {
                    return Err(CommentError::NotYoursToDelete);
                }
                if c.deleted {
                    return Ok(Outcome::Unchanged);
                }
                c.deleted = true;
                c.text.clear();
                c.mentions.clear();
                c.edited_at = Some(now);
                Ok(Outcome::Changed {
                    thread: t.clone(),
                    news: None,
                })
            }
            Command::Resolve { thread } | Command::Reopen { thread } => {
                let t = self
                    .by_id
                    .get_mut(thread)
                    .ok_or(CommentError::NoSuchThread)?;
                let resolve = matches!(cmd, Command::Resolve { .. });
                if t.resolved.is_some() == resolve {
                    return Ok(Outcome::Unchanged);
                }
                t.resolved = resolve.then(|| Resolution {
                    by: actor.id.clone(),
                    name: actor.name.clone(),
                    at: now,
                });
                Ok(Outcome::Changed {
                    thread: t.clone(),
                    news: None,
                })
            }
        }
    }

    /// Whether any thread holds a comment with this id.
    fn comment_id_taken(&self, id: &str) -> bool {
        self.by_id
            .values()
            .any(|t| t.comments.iter().any(|c| c.id == id))
    }
}

/// The news of a posted or edited comment: mentions not in `before` (nor the author), and
/// the people a reply answers.
fn news_of(thread: &str, c: &Comment, before: &[String], replied_to: Vec<String>) -> Option<News> {
    let mentioned: Vec<String> = c
        .mentions
        .iter()
        .filter(|m| **m != c.author && !before.contains(m))
        .cloned()
        .collect();
    (!mentioned.is_empty() || !replied_to.is_empty()).then(|| News {
        thread: thread.to_owned(),
        comment: c.id.clone(),
        by: c.author.clone(),
        mentioned,
        replied_to,
    })
}
