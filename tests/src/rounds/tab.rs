//! One tab of a person at a board, speaking rounds: a y-websocket connection with a [`Board`]
//! replica that also sends round requests (`HuddleMessage::RoundRequest`), keeps every round
//! event the server sends, and records every byte it receives, for the secrecy tests.
//!
//! [`crate::client::Client`] drops Huddle's messages it does not need; rounds need them all,
//! and the secrecy tests need the frames exactly as they came, so this is its own connection.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use huddle_shared::model::Board;
use huddle_shared::rounds::{
    Ballot, Command, Event, Request, RoundResult, RoundView, Scope, Settings,
};
use huddle_shared::wire::{self, HuddleMessage, Message};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::{ReadTxn, Transact, TransactionMut};

use crate::client::WAIT;

/// Origin of transactions that apply the server's updates.
const REMOTE: &str = "remote";

/// How the server answered a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Done and on disk; the id of the round or decision it created, if any.
    Ack(Option<String>),
    /// Refused, with the reason shown to the person.
    Refused(String),
}

/// What the reader has seen so far (the frames themselves are in [`Tab::frames`]).
#[derive(Debug, Clone, Default)]
struct Seen {
    synced: bool,
    saved: u64,
    /// Every round event, in order.
    events: Vec<Event>,
    /// Updates applied (to wait for document changes).
    applied: u64,
    closed: Option<(u16, String)>,
    denials: Vec<String>,
}

/// A connection of one person, speaking rounds.
pub struct Tab {
    pub board: Board,
    out: mpsc::UnboundedSender<WsMessage>,
    seen: watch::Receiver<Seen>,
    /// Every binary frame received, as received, in order.
    frames: Arc<Mutex<Vec<Vec<u8>>>>,
    next_req: AtomicU64,
    next_save: AtomicU64,
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
}

impl Tab {
    /// Connects to `url` with `headers` (a person's cookie), and waits for the initial sync.
    pub async fn join(url: &str, headers: &[(&str, &str)]) -> anyhow::Result<Tab> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
        let mut request = url.into_client_request()?;
        for (name, value) in headers {
            request.headers_mut().insert(
                HeaderName::from_bytes(name.as_bytes())?,
                HeaderValue::from_str(value)?,
            );
        }
        let (ws, _) = tokio_tungstenite::connect_async(request)
            .await
            .with_context(|| format!("connect {url}"))?;
        let (mut sink, mut stream) = ws.split();
        let (out, mut outgoing) = mpsc::unbounded_channel::<WsMessage>();
        let (seen_tx, seen) = watch::channel(Seen::default());
        let board = Board::new();
        let frames = Arc::new(Mutex::new(Vec::new()));
        let writer = tokio::spawn(async move {
            while let Some(msg) = outgoing.recv().await {
                if sink.send(msg).await.is_err() {
                    break;
                }
            }
            let _ = sink.close().await;
        });
        let sv = board.doc().transact().state_vector();
        let _ = out.send(WsMessage::Binary(wire::encode_sync_step1(&sv).into()));
        let reader = {
            let (board, out, frames) = (board.clone(), out.clone(), frames.clone());
            tokio::spawn(async move {
                while let Some(msg) = stream.next().await {
                    let closed = match msg {
                        Ok(WsMessage::Binary(frame)) => {
                            lock(&frames).push(frame.to_vec());
                            match handle_frame(&board, &out, &seen_tx, &frame) {
                                Ok(()) => None,
                                Err(e) => Some((0, format!("bad frame from server: {e}"))),
                            }
                        }
                        Ok(WsMessage::Close(frame)) => Some(
                            frame
                                .map(|f| (u16::from(f.code), f.reason.to_string()))
                                .unwrap_or((1005, String::new())),
                        ),
                        Ok(_) => None,
                        Err(e) => Some((0, e.to_string())),
                    };
                    if let Some(closed) = closed {
                        seen_tx.send_modify(|s| s.closed = Some(closed));
                        return;
                    }
                }
                seen_tx.send_modify(|s| {
                    s.closed
                        .get_or_insert((1006, "ended without a close frame".into()));
                });
            })
        };
        let tab = Tab {
            board,
            out,
            seen,
            frames,
            next_req: AtomicU64::new(1),
            next_save: AtomicU64::new(1),
            reader,
            writer,
        };
        tab.wait(|s| s.synced).await.context("initial sync")?;
        Ok(tab)
    }

    /// Sends a request as it is and returns its number (for requests a page would not send).
    pub fn send(&self, cmd: Command) -> u64 {
        let req = self.next_req.fetch_add(1, SeqCst);
        self.send_request(&Request { req, cmd });
        req
    }

    pub fn send_request(&self, request: &Request) {
        let frame = wire::encode_huddle(&HuddleMessage::RoundRequest(request.clone()));
        let _ = self.out.send(WsMessage::Binary(frame.into()));
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
        let find = |s: &Seen| {
            s.events.iter().find_map(|e| match e {
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
        self.seen.borrow().events.clone()
    }

    /// Waits for a round event that satisfies `pred` (among all received so far).
    pub async fn wait_event(&self, pred: impl Fn(&Event) -> bool) -> anyhow::Result<Event> {
        let seen = self
            .wait(|s| s.events.iter().any(&pred))
            .await
            .with_context(|| format!("waiting for a round event; got {:?}", self.events()))?;
        seen.events.into_iter().find(pred).context("vanished")
    }

    /// The latest view of `round` this tab was sent.
    pub fn view(&self, round: &str) -> Option<RoundView> {
        self.seen
            .borrow()
            .events
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
        let latest = |s: &Seen| {
            s.events.iter().rev().find_map(|e| match e {
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
        latest_progress(&self.seen.borrow(), round)
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
        let (result, update) = {
            let mut txn = self.board.transact_mut();
            let result = f(&self.board, &mut txn);
            (result, txn.encode_update_v1())
        };
        let _ = self
            .out
            .send(WsMessage::Binary(wire::encode_update(&update).into()));
        result
    }

    /// Waits until the server confirms everything sent so far is handled and on disk.
    pub async fn save(&self) -> anyhow::Result<()> {
        let seq = self.next_save.fetch_add(1, SeqCst);
        let frame = wire::encode_huddle(&HuddleMessage::SaveRequest { seq });
        let _ = self.out.send(WsMessage::Binary(frame.into()));
        self.wait(|s| s.saved >= seq)
            .await
            .context("waiting for 'saved'")
            .map(drop)
    }

    /// Every frame received so far, as received.
    pub fn frames(&self) -> Vec<Vec<u8>> {
        lock(&self.frames).clone()
    }

    /// The server's "permission denied" reasons so far.
    pub fn denials(&self) -> Vec<String> {
        self.seen.borrow().denials.clone()
    }

    async fn wait(&self, pred: impl Fn(&Seen) -> bool) -> anyhow::Result<Seen> {
        let mut rx = self.seen.clone();
        let seen = tokio::time::timeout(WAIT, rx.wait_for(|s| pred(s) || s.closed.is_some()))
            .await
            .context("timed out")?
            .map_err(|_| anyhow::anyhow!("reader stopped"))?
            .clone();
        if !pred(&seen) {
            bail!("connection closed: {:?}", seen.closed);
        }
        Ok(seen)
    }

    /// Closes the connection politely.
    pub async fn close(self) {
        let _ = self.out.send(WsMessage::Close(None));
        drop(self.out);
        let _ = tokio::time::timeout(Duration::from_secs(5), self.writer).await;
        self.reader.abort();
    }

    /// Drops the connection without a close handshake (a crashed tab).
    pub fn abort(self) {
        self.reader.abort();
        self.writer.abort();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn latest_progress(seen: &Seen, round: &str) -> Option<(u32, u32)> {
    seen.events.iter().rev().find_map(|e| match e {
        Event::Progress {
            round: r,
            voted,
            of,
        } if r == round => Some((*voted, *of)),
        Event::Round(v) if v.round.id == round => Some((v.voted, v.of)),
        _ => None,
    })
}

fn handle_frame(
    board: &Board,
    out: &mpsc::UnboundedSender<WsMessage>,
    seen: &watch::Sender<Seen>,
    frame: &[u8],
) -> anyhow::Result<()> {
    for message in wire::decode_frame(frame, &wire::Limits::default())? {
        match message {
            Message::SyncStep1(sv) => {
                let update = board.doc().transact().encode_state_as_update_v1(&sv);
                let _ = out.send(WsMessage::Binary(wire::encode_sync_step2(&update).into()));
            }
            Message::SyncStep2(update) => {
                apply(board, &update)?;
                seen.send_modify(|s| {
                    s.synced = true;
                    s.applied += 1;
                });
            }
            Message::Update(update) => {
                apply(board, &update)?;
                seen.send_modify(|s| s.applied += 1);
            }
            Message::Huddle(HuddleMessage::RoundEvent(event)) => {
                seen.send_modify(|s| s.events.push(event))
            }
            Message::Huddle(HuddleMessage::Saved { seq }) => {
                seen.send_modify(|s| s.saved = s.saved.max(seq))
            }
            Message::Auth(Some(reason)) => seen.send_modify(|s| s.denials.push(reason)),
            Message::Awareness(_)
            | Message::AwarenessQuery
            | Message::Auth(None)
            | Message::Huddle(_) => {}
        }
    }
    Ok(())
}

fn apply(board: &Board, update: &[u8]) -> anyhow::Result<()> {
    let update = wire::decode_update(update)?;
    board.doc().transact_mut_with(REMOTE).apply_update(update)?;
    Ok(())
}
