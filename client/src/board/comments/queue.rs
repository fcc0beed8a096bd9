//! Comments not yet acknowledged by the server, in the order they were written: kept in
//! `localStorage` (key `huddle.comments.{board}`) so that a comment written offline, or not
//! yet answered when the tab closed, survives a reload and is sent when the page is back.
//!
//! Each entry remembers the request number it was last sent with (per connection): after a
//! new hello every entry is sent again, in order. The server recognises a comment it already
//! has by its page-made id and only acknowledges it, so nothing is lost or duplicated.

use huddle_shared::comments::Command;
use serde::{Deserialize, Serialize};

/// Most commands kept: a long flight's worth of comments; past that, the oldest stay and a
/// new one is refused with a notice rather than growing localStorage without bound.
pub const MAX_QUEUED: usize = 500;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Entry {
    cmd: Command,
    /// The request number it went out with on the current connection.
    #[serde(skip)]
    req: Option<u64>,
}

/// The commands waiting for their answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Queue {
    entries: Vec<Entry>,
}

impl Queue {
    /// Adds a command; `false` if the queue is full.
    pub fn push(&mut self, cmd: Command) -> bool {
        if self.entries.len() >= MAX_QUEUED {
            return false;
        }
        self.entries.push(Entry { cmd, req: None });
        true
    }

    /// The commands not sent on this connection yet, with their index.
    pub fn unsent(&self) -> Vec<(usize, Command)> {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.req.is_none())
            .map(|(i, e)| (i, e.cmd.clone()))
            .collect()
    }

    /// Entry `index` went out as request `req`.
    pub fn sent(&mut self, index: usize, req: u64) {
        if let Some(e) = self.entries.get_mut(index) {
            e.req = Some(req);
        }
    }

    /// Request `req` was answered (done or refused): its command leaves the queue. `false`
    /// if it was not one of ours.
    pub fn answered(&mut self, req: u64) -> bool {
        let before = self.entries.len();
        self.entries.retain(|e| e.req != Some(req));
        self.entries.len() != before
    }

    /// A new connection: nothing is in flight any more; everything goes out again.
    pub fn reconnected(&mut self) {
        for e in &mut self.entries {
            e.req = None;
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The commands, for showing what is waiting (a new thread's text, a reply's).
    pub fn commands(&self) -> impl Iterator<Item = &Command> {
        self.entries.iter().map(|e| &e.cmd)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.entries).unwrap_or_default()
    }

    /// What [`Queue::to_json`] wrote; an unreadable value is an empty queue. Each command is
    /// checked as the server's decoder would, so a tampered entry is dropped, not sent.
    pub fn from_json(json: &str) -> Queue {
        let entries: Vec<Entry> = huddle_shared::json::from_str(json).unwrap_or_default();
        let entries = entries
            .into_iter()
            .filter(|e| {
                let req = huddle_shared::comments::Request {
                    req: 0,
                    cmd: e.cmd.clone(),
                };
                huddle_shared::comments::Request::decode(&req.encode()).is_ok()
            })
            .take(MAX_QUEUED)
            .collect();
        Queue { entries }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(id: &str) -> Command {
        Command::Reply {
            thread: "t".into(),
            comment: id.into(),
            text: format!("text {id}"),
        }
    }

    #[test]
    fn entries_leave_only_when_answered_and_go_out_again_after_a_reconnect() {
        let mut q = Queue::default();
        q.push(reply("a"));
        q.push(reply("b"));
        let unsent = q.unsent();
        assert_eq!(unsent.len(), 2);
        q.sent(unsent[0].0, 7);
        q.sent(unsent[1].0, 8);
        assert!(q.unsent().is_empty());
        assert!(q.answered(7));
        assert!(!q.answered(7));
        assert_eq!(q.len(), 1);
        // The connection dropped before 8 was answered: it goes out again.
        q.reconnected();
        assert_eq!(q.unsent(), vec![(0, reply("b"))]);
    }

    #[test]
    fn the_queue_survives_a_reload_without_request_numbers_and_drops_bad_entries() {
        let mut q = Queue::default();
        q.push(reply("a"));
        q.sent(0, 3);
        let back = Queue::from_json(&q.to_json());
        assert_eq!(back.unsent(), vec![(0, reply("a"))]);
        let tampered = r#"[{"cmd":{"op":"reply","thread":"","comment":"c","text":"x"}}]"#;
        assert!(Queue::from_json(tampered).is_empty());
        assert!(Queue::from_json("not json").is_empty());
    }
}
