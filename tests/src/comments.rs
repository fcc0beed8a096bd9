//! Comments on the wire, for the comment tests: send a request (`HuddleMessage::CommentRequest`,
//! kind 6) on a connection and wait for its answer, and read the threads as the connection
//! was told them (the `threads` event after hello, then each `thread` event).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};

use anyhow::{Context, bail};
use huddle_shared::comments::{Anchor, Command, Event, Mentionable, Request, Thread};
use huddle_shared::wire::{self, HuddleMessage};

use crate::client::State;
use crate::facilitation::Speaks;

/// Request numbers, unique across the test process.
static NEXT_REQ: AtomicU64 = AtomicU64::new(1);

/// Sends `cmd` as it is; returns its request number.
pub fn send(who: &impl Speaks, cmd: Command) -> u64 {
    let req = NEXT_REQ.fetch_add(1, SeqCst);
    let frame = wire::encode_huddle(&HuddleMessage::CommentRequest(Request { req, cmd }));
    who.conn().send_raw(frame);
    req
}

fn answer_in(events: &[Event], req: u64) -> Option<Result<(), String>> {
    events.iter().find_map(|e| match e {
        Event::Ack { req: r } if *r == req => Some(Ok(())),
        Event::Refused { req: r, reason } if *r == req => Some(Err(reason.clone())),
        _ => None,
    })
}

/// Sends `cmd` and waits for the answer: `Ok(())` (done and on disk) or the refusal's reason.
pub async fn ask(who: &impl Speaks, cmd: Command) -> anyhow::Result<Result<(), String>> {
    let req = send(who, cmd.clone());
    let state = who
        .conn()
        .wait_state_for(|s| answer_in(&s.comment_events, req).is_some())
        .await
        .with_context(|| format!("no answer to {cmd:?}"))?;
    answer_in(&state.comment_events, req).context("answer vanished")
}

/// Sends `cmd`; fails unless it is acknowledged.
pub async fn ack(who: &impl Speaks, cmd: Command) -> anyhow::Result<()> {
    match ask(who, cmd.clone()).await? {
        Ok(()) => Ok(()),
        Err(reason) => bail!("{cmd:?} was refused: {reason}"),
    }
}

/// Sends `cmd`; fails unless it is refused with a reason. Returns the reason.
pub async fn refused(who: &impl Speaks, cmd: Command) -> anyhow::Result<String> {
    match ask(who, cmd.clone()).await? {
        Err(reason) if !reason.trim().is_empty() => Ok(reason),
        Err(_) => bail!("{cmd:?} was refused without a reason"),
        Ok(()) => bail!("{cmd:?} was acknowledged, but the server should refuse it"),
    }
}

/// "I speak comments".
pub async fn hello(who: &impl Speaks) -> anyhow::Result<()> {
    ack(who, Command::Hello).await
}

/// The threads as the events received so far tell them, by id.
pub fn threads_in(state: &State) -> BTreeMap<String, Thread> {
    let mut out = BTreeMap::new();
    for e in &state.comment_events {
        match e {
            Event::Threads { threads } => {
                out = threads.iter().map(|t| (t.id.clone(), t.clone())).collect();
            }
            Event::Thread { thread } => {
                out.insert(thread.id.clone(), thread.clone());
            }
            _ => {}
        }
    }
    out
}

pub fn threads(who: &impl Speaks) -> BTreeMap<String, Thread> {
    threads_in(&who.conn().state())
}

/// The people the server offered for `@` completion (the latest list).
pub fn people(who: &impl Speaks) -> Vec<Mentionable> {
    who.conn()
        .state()
        .comment_events
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::People { people } => Some(people.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

/// Waits until thread `id`, as the connection was told it, satisfies `pred`.
pub async fn wait_thread(
    who: &impl Speaks,
    id: &str,
    pred: impl Fn(&Thread) -> bool,
) -> anyhow::Result<Thread> {
    let state = who
        .conn()
        .wait_state_for(|s| threads_in(s).get(id).is_some_and(&pred))
        .await
        .with_context(|| format!("waiting for thread {id}; it is {:?}", threads(who).get(id)))?;
    threads_in(&state).remove(id).context("vanished")
}

/// A new thread on item `item`.
pub fn start_on(item: &str, thread: &str, comment: &str, text: &str) -> Command {
    Command::Start {
        thread: thread.into(),
        anchor: Anchor::Item { item: item.into() },
        comment: comment.into(),
        text: text.into(),
    }
}

pub fn reply(thread: &str, comment: &str, text: &str) -> Command {
    Command::Reply {
        thread: thread.into(),
        comment: comment.into(),
        text: text.into(),
    }
}

pub fn edit(thread: &str, comment: &str, text: &str) -> Command {
    Command::Edit {
        thread: thread.into(),
        comment: comment.into(),
        text: text.into(),
    }
}

pub fn delete(thread: &str, comment: &str) -> Command {
    Command::Delete {
        thread: thread.into(),
        comment: comment.into(),
    }
}
