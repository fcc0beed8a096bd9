//! One tab of a person at a board, speaking rounds: a [`Client`] (a y-websocket connection
//! with a [`Board`] replica, recording every frame it receives, for the secrecy tests) that also
//! sends round requests (`HuddleMessage::RoundRequest`) and reads the round events it kept.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};

use anyhow::{Context, bail};
use huddle_shared::model::Board;
use huddle_shared::rounds::{
    Ballot, Command, Event, Request, RoundResult, RoundView, Scope, Settings,
};
use huddle_shared::wire::{self, HuddleMessage};
use yrs::{Transact, TransactionMut};

use crate::client::{Client, State};

/// How the server answered a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Done and on disk; the id of the round or decision it created, if any.
    Ack(Option<String>),
    /// Refused, with the reason shown to the person.
    Refused(String),
}

/// A connection of one person, speaking rounds.
pub struct Tab {
    pub board: Board,
    client: Client,
    next_req: AtomicU64,
}

impl Tab {
    /// Connects to `url` with `headers` (a person's cookie), and waits for the initial sync.
    pub async fn join(url: &str, headers: &[(&str, &str)]) -> anyhow::Result<Tab> {
        let client = Client::connect_recording(url, Board::new(), headers).await?;
        client.wait_synced().await?;
        Ok(Tab {
            board: client.board.clone(),
            client,
            next_req: AtomicU64::new(1),
        })
    }

    /// Sends a request as it is and returns its number (for requests a page would not send).
    pub fn send(&self, cmd: Command) -> u64 {
        let req = self.next_req.fetch_add(1, SeqCst);
        self.send_request(&Request { req, cmd });
        req
    }

    pub fn send_request(&self, request: &Request) {
        let frame = wire::encode_huddle(&HuddleMessage::RoundRequest(request.clone()));
        self.client.send_raw(frame);
    }

    /// Sends `cmd` and waits for the server's answer.
    pub async fn ask(&self, cmd: Command) -> anyhow::Result<Answer> {
        let req = self.send(cmd.clone());
        self.answer(req)
            .await
            .with_context(|| format!("no answer to {cmd:?}"))
    }

    /// The answer to request `req`, once it came.
    pub async fn answer(&self, req: u64) -> anyhow::Result<Answer> {
        let find = |s: &State| {
            s.round_events.iter().find_map(|e| match e {
                Event::Ack { req: r, id } if *r == req => Some(Answer::Ack(id.clone())),
                Event::Refused { req: r, reason } if *r == req => {
                    Some(Answer::Refused(reason.clone()))
                }
                _ => None,
            })
        };
        let seen = self.wait(|s| find(s).is_some()).await?;
        find(&seen).context("answer vanished")
    }

    /// Sends `cmd`; fails unless it is acknowledged. Returns the id it created, if any.
    pub async fn ack(&self, cmd: Command) -> anyhow::Result<Option<String>> {
        match self.ask(cmd.clone()).await? {
            Answer::Ack(id) => Ok(id),
            Answer::Refused(reason) => bail!("{cmd:?} was refused: {reason}"),
        }
    }

    /// Sends `cmd`; fails unless it is refused. Returns the reason.
    pub async fn refused(&self, cmd: Command) -> anyhow::Result<String> {
        match self.ask(cmd.clone()).await? {
            Answer::Refused(reason) => Ok(reason),
            Answer::Ack(_) => bail!("{cmd:?} was acknowledged, not refused"),
        }
    }

    /// "I speak rounds": from now on this tab gets round events.
    pub async fn hello(&self) -> anyhow::Result<()> {
        self.ack(Command::Hello).await.map(drop)
    }

    /// Opens a round on `targets`; its id.
    pub async fn open(&self, settings: Settings, targets: &[&str]) -> anyhow::Result<String> {
        self.ack(Command::Open {
            settings,
            targets: targets.iter().map(|t| (*t).to_owned()).collect(),
            scope: Scope::Selection,
            area: None,
        })
        .await?
        .context("opening a round acknowledged no id")
    }

    pub async fn cast(&self, round: &str, ballot: Ballot) -> anyhow::Result<Answer> {
        self.ask(Command::Cast {
            round: round.to_owned(),
            ballot,
        })
        .await
    }

    pub async fn reveal(&self, round: &str) -> anyhow::Result<()> {
        let round = round.to_owned();
        self.ack(Command::Reveal { round }).await.map(drop)
    }

    /// Every round event received so far.
    pub fn events(&self) -> Vec<Event> {
        self.client.state().round_events
    }

    /// Waits for a round event that satisfies `pred` (among all received so far).
    pub async fn wait_event(&self, pred: impl Fn(&Event) -> bool) -> anyhow::Result<Event> {
        let seen = self
            .wait(|s| s.round_events.iter().any(&pred))
            .await
            .with_context(|| format!("waiting for a round event; got {:?}", self.events()))?;
        seen.round_events.into_iter().find(pred).context("vanished")
    }

    /// The latest view of `round` this tab was sent.
    pub fn view(&self, round: &str) -> Option<RoundView> {
        self.client
            .state()
            .round_events
            .iter()
            .rev()
            .find_map(|e| match e {
                Event::Round(v) if v.round.id == round => Some(v.clone()),
                _ => None,
            })
    }

    /// Waits until the latest view of `round` satisfies `pred`.
    pub async fn wait_view(
        &self,
        round: &str,
        pred: impl Fn(&RoundView) -> bool,
    ) -> anyhow::Result<RoundView> {
        let latest = |s: &State| {
            s.round_events.iter().rev().find_map(|e| match e {
                Event::Round(v) if v.round.id == round => Some(v.clone()),
                _ => None,
            })
        };
        self.wait(|s| latest(s).is_some_and(|v| pred(&v)))
            .await
            .with_context(|| format!("waiting for a view of {round}; last {:?}", self.view(round)))
            .map(|s| latest(&s).unwrap_or_else(|| unreachable!()))
    }

    /// The latest `(voted, of)` this tab was told of `round` (by a view or a progress event).
    pub fn progress(&self, round: &str) -> Option<(u32, u32)> {
        latest_progress(&self.client.state(), round)
    }

    /// Waits until the latest count of `round` says `voted` people voted.
    pub async fn wait_voted(&self, round: &str, voted: u32) -> anyhow::Result<(u32, u32)> {
        self.wait(|s| latest_progress(s, round).is_some_and(|(v, _)| v == voted))
            .await
            .with_context(|| {
                format!(
                    "waiting for {voted} voters in {round}; last count {:?}",
                    self.progress(round)
                )
            })?;
        self.progress(round).context("vanished")
    }

    /// Round results in this tab's replica of the document.
    pub fn results(&self) -> BTreeMap<String, RoundResult> {
        self.board.round_results(&self.board.doc().transact())
    }

    /// Waits until `round`'s result is in this tab's replica.
    pub async fn wait_result(&self, round: &str) -> anyhow::Result<RoundResult> {
        self.wait_result_where(round, |_| true).await
    }

    /// Waits until `round`'s result in this tab's replica satisfies `pred`.
    pub async fn wait_result_where(
        &self,
        round: &str,
        pred: impl Fn(&RoundResult) -> bool,
    ) -> anyhow::Result<RoundResult> {
        let fits = || self.results().get(round).is_some_and(&pred);
        self.wait(|_| fits()).await.with_context(|| {
            format!(
                "waiting for the result of {round} in the document; it is {:?}",
                self.results().get(round)
            )
        })?;
        self.results().remove(round).context("vanished")
    }

    /// Makes a local change in one transaction and sends it to the server.
    pub fn edit<R>(&self, f: impl FnOnce(&Board, &mut TransactionMut) -> R) -> R {
        self.client.edit(f)
    }

    /// Waits until the server confirms everything sent so far is handled and on disk.
    pub async fn save(&self) -> anyhow::Result<()> {
        self.client.save().await
    }

    /// The connection itself (to speak facilitation on it: [`crate::facilitation`]).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Every frame received so far, as received.
    pub fn frames(&self) -> Vec<Vec<u8>> {
        self.client.frames()
    }

    /// The server's "permission denied" reasons so far.
    pub fn denials(&self) -> Vec<String> {
        self.client.state().denials
    }

    async fn wait(&self, pred: impl Fn(&State) -> bool) -> anyhow::Result<State> {
        self.client.wait_state_for(pred).await
    }

    /// Closes the connection politely.
    pub async fn close(self) {
        self.client.close().await
    }

    /// Drops the connection without a close handshake (a crashed tab).
    pub fn abort(self) {
        self.client.abort()
    }
}

fn latest_progress(seen: &State, round: &str) -> Option<(u32, u32)> {
    seen.round_events.iter().rev().find_map(|e| match e {
        Event::Progress {
            round: r,
            voted,
            of,
        } if r == round => Some((*voted, *of)),
        Event::Round(v) if v.round.id == round => Some((v.voted, v.of)),
        _ => None,
    })
}
