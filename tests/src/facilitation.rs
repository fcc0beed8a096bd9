//! Facilitation on the wire, for the facilitation tests (and the rounds tests, which hand the
//! facilitator role on): send a request (`HuddleMessage::FacilitationRequest`, kind 4) on a
//! connection and wait for its answer, read the public state from the connection's replica of
//! the document (`Board::facilitation`: the server writes it there), and read the events the
//! connection kept (`balance`, `clock`, `private`).
//!
//! Works on any connection that is a [`Client`] underneath: a plain one, or a rounds [`Tab`].

use std::sync::atomic::{AtomicU64, Ordering::SeqCst};

use anyhow::{Context, bail};
use huddle_shared::facilitation::{Command, Contribution, Event, Public, Request, Step, StepKind};
use huddle_shared::wire::{self, HuddleMessage};
use yrs::Transact;

use crate::client::{Client, State};
use crate::rounds::Tab;
use crate::visitor::Visitor;

/// Request numbers: unique across every connection of the test process (the server only
/// needs them unique per connection; unique everywhere keeps answers unambiguous in logs).
static NEXT_REQ: AtomicU64 = AtomicU64::new(1);

/// A connection that can speak facilitation.
pub trait Speaks {
    fn conn(&self) -> &Client;
}

impl Speaks for Client {
    fn conn(&self) -> &Client {
        self
    }
}

impl Speaks for Tab {
    fn conn(&self) -> &Client {
        self.client()
    }
}

/// Sends `cmd` as it is; returns its request number.
pub fn send(who: &impl Speaks, cmd: Command) -> u64 {
    let req = NEXT_REQ.fetch_add(1, SeqCst);
    let frame = wire::encode_huddle(&HuddleMessage::FacilitationRequest(Request { req, cmd }));
    who.conn().send_raw(frame);
    req
}

/// The answer to request `req` among `events`: `Ok(())` or the refusal's reason.
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
        .wait_state_for(|s| answer_in(&s.fac_events, req).is_some())
        .await
        .with_context(|| format!("no answer to {cmd:?}"))?;
    answer_in(&state.fac_events, req).context("answer vanished")
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

/// "I speak facilitation": from now on the connection gets facilitation events.
pub async fn hello(who: &impl Speaks) -> anyhow::Result<()> {
    ack(who, Command::Hello).await
}

/// Hands the facilitator role to `to`.
pub async fn hand(who: &impl Speaks, to: &Visitor) -> anyhow::Result<()> {
    ack(who, Command::Hand { to: to.id.clone() }).await
}

/// The public facilitation state in the connection's replica of the document.
pub fn public(who: &impl Speaks) -> Public {
    let board = &who.conn().board;
    board.facilitation(&board.doc().transact())
}

/// Waits until the public state in the connection's replica satisfies `pred`.
pub async fn wait_public(
    who: &impl Speaks,
    pred: impl Fn(&Public) -> bool,
) -> anyhow::Result<Public> {
    let fits = || pred(&public(who));
    who.conn()
        .wait_state_for(|_| fits())
        .await
        .with_context(|| {
            format!(
                "waiting for the facilitation state; it is {:?}",
                public(who)
            )
        })?;
    Ok(public(who))
}

/// Waits until the replica names `person` as the facilitator.
pub async fn wait_facilitator(who: &impl Speaks, person: &Visitor) -> anyhow::Result<Public> {
    wait_public(who, |p| {
        p.facilitator.as_ref().is_some_and(|f| f.id == person.id)
    })
    .await
}

/// Every facilitation event the connection received so far.
pub fn events(who: &impl Speaks) -> Vec<Event> {
    who.conn().state().fac_events
}

fn balances_in(state: &State) -> Vec<(u64, Vec<Contribution>)> {
    state
        .fac_events
        .iter()
        .filter_map(|e| match e {
            Event::Balance { since, people } => Some((*since, people.clone())),
            _ => None,
        })
        .collect()
}

/// Every contribution balance the connection was sent, in order.
pub fn balances(who: &impl Speaks) -> Vec<(u64, Vec<Contribution>)> {
    balances_in(&who.conn().state())
}

/// Waits until the latest balance sent to the connection satisfies `pred`; returns it.
pub async fn wait_balance(
    who: &impl Speaks,
    pred: impl Fn(&[Contribution]) -> bool,
) -> anyhow::Result<(u64, Vec<Contribution>)> {
    let latest = |s: &State| balances_in(s).pop();
    who.conn()
        .wait_state_for(|s| latest(s).is_some_and(|(_, people)| pred(&people)))
        .await
        .with_context(|| {
            format!(
                "waiting for a balance; the last was {:?}",
                balances(who).pop()
            )
        })?;
    balances(who).pop().context("vanished")
}

/// The server's clock as the connection was told on hello (ms since the epoch).
pub fn clock(who: &impl Speaks) -> Option<u64> {
    events(who).iter().find_map(|e| match e {
        Event::Clock { now } => Some(*now),
        _ => None,
    })
}

/// An agenda step of `kind` with `title`, lasting `minutes`, on the default targets.
pub fn step(kind: StepKind, title: &str, minutes: u32) -> Step {
    Step {
        kind,
        title: title.to_owned(),
        minutes,
        targets: Vec::new(),
        scope: Default::default(),
        settings: None,
    }
}
