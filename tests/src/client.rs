//! A Rust y-websocket client: a [`Board`] replica synced over tokio-tungstenite.

use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use huddle_shared::model::{Board, BoardSnapshot};
use huddle_shared::wire::{self, HuddleMessage, Message};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::sync::Awareness;
use yrs::{ReadTxn, Transact, TransactionMut};

/// Origin of transactions that apply remote updates (so they are not echoed back).
const REMOTE: &str = "remote";

/// How long waits in tests give up after: generous, the machine is shared and noisy.
pub const WAIT: Duration = Duration::from_secs(20);

/// A connected replica.
pub struct Client {
    pub board: Board,
    awareness: Arc<Mutex<Awareness>>,
    out: mpsc::UnboundedSender<WsMessage>,
    state: watch::Receiver<State>,
    next_save: AtomicU64,
    /// Every binary frame received, as received, if asked for ([`Client::connect_recording`]).
    frames: Option<Arc<Mutex<Vec<Vec<u8>>>>>,
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
}

/// What the reader task has seen.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// Got the server's answer to our sync step 1.
    pub synced: bool,
    /// Highest `Saved { seq }` received.
    pub saved: u64,
    /// Remote updates applied so far (to wait for changes).
    pub applied: u64,
    /// Close code and reason, once the server closed (or `(0, error)` if the socket broke).
    pub closed: Option<(u16, String)>,
    /// Reasons of the server's "permission denied" messages (a refused write or presence).
    pub denials: Vec<String>,
    /// Every round event, in order (the server sends them after a round `Hello`).
    pub round_events: Vec<huddle_shared::rounds::Event>,
    /// Every facilitation event, in order (sent after a facilitation `Hello`).
    pub fac_events: Vec<huddle_shared::facilitation::Event>,
    /// Every comment event, in order (sent after a comment `Hello`).
    pub comment_events: Vec<huddle_shared::comments::Event>,
}

impl Client {
    /// Connects to `url` (`ws://127.0.0.1:PORT/ws/BOARD`) and starts syncing.
    pub async fn connect(url: &str) -> anyhow::Result<Client> {
        Self::connect_with(url, Board::new()).await
    }

    /// Connects with an existing replica (for example one edited while offline).
    pub async fn connect_with(url: &str, board: Board) -> anyhow::Result<Client> {
        Self::connect_as(url, board, &[]).await
    }

    /// Connects with extra request headers (a person's `Cookie`, an `Origin`).
    pub async fn connect_as(
        url: &str,
        board: Board,
        headers: &[(&str, &str)],
    ) -> anyhow::Result<Client> {
        Self::open(url, board, headers, false).await
    }

    /// [`Client::connect_as`], keeping every binary frame received ([`Client::frames`]): for
    /// tests that search what a connection was sent.
    pub async fn connect_recording(
        url: &str,
        board: Board,
        headers: &[(&str, &str)],
    ) -> anyhow::Result<Client> {
        Self::open(url, board, headers, true).await
    }

    async fn open(
        url: &str,
        board: Board,
        headers: &[(&str, &str)],
        record: bool,
    ) -> anyhow::Result<Client> {
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
        let (state_tx, state) = watch::channel(State::default());
        let awareness = Arc::new(Mutex::new(Awareness::new(board.doc().clone())));
        let frames = record.then(|| Arc::new(Mutex::new(Vec::new())));

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
            let (board, awareness, out) = (board.clone(), awareness.clone(), out.clone());
            let frames = frames.clone();
            tokio::spawn(async move {
                while let Some(msg) = stream.next().await {
                    match msg {
                        Ok(WsMessage::Binary(frame)) => {
                            if let Some(frames) = &frames {
                                lock(frames).push(frame.to_vec());
                            }
                            if let Err(e) =
                                handle_frame(&board, &awareness, &out, &state_tx, &frame)
                            {
                                state_tx.send_modify(|s| {
                                    s.closed = Some((0, format!("bad frame from server: {e}")))
                                });
                                return;
                            }
                        }
                        Ok(WsMessage::Close(frame)) => {
                            let (code, reason) = frame
                                .map(|f| (u16::from(f.code), f.reason.to_string()))
                                .unwrap_or((1005, String::new()));
                            state_tx.send_modify(|s| s.closed = Some((code, reason)));
                            return;
                        }
                        Ok(_) => {}
                        Err(e) => {
                            state_tx.send_modify(|s| s.closed = Some((0, e.to_string())));
                            return;
                        }
                    }
                }
                state_tx.send_modify(|s| {
                    if s.closed.is_none() {
                        s.closed = Some((1006, "connection ended without a close frame".into()));
                    }
                });
            })
        };
        Ok(Client {
            board,
            awareness,
            out,
            state,
            next_save: AtomicU64::new(1),
            frames,
            reader,
            writer,
        })
    }

    /// Connects and waits for the initial sync.
    pub async fn join(url: &str) -> anyhow::Result<Client> {
        let client = Self::connect(url).await?;
        client.wait_synced().await?;
        Ok(client)
    }

    /// Makes a local change in one transaction and sends it to the server.
    pub fn edit<R>(&self, f: impl FnOnce(&Board, &mut TransactionMut) -> R) -> R {
        let (result, update) = {
            let mut txn = self.board.transact_mut();
            let result = f(&self.board, &mut txn);
            (result, txn.encode_update_v1())
        };
        self.send_update(&update);
        result
    }

    pub fn send_update(&self, update: &[u8]) {
        let _ = self
            .out
            .send(WsMessage::Binary(wire::encode_update(update).into()));
    }

    /// Sends raw bytes as one binary frame (for bad-input tests).
    pub fn send_raw(&self, frame: Vec<u8>) {
        let _ = self.out.send(WsMessage::Binary(frame.into()));
    }

    /// Sends any WebSocket message (text frames, for example).
    pub fn send_ws(&self, msg: WsMessage) {
        let _ = self.out.send(msg);
    }

    pub fn set_awareness(&self, state: serde_json::Value) -> anyhow::Result<()> {
        let update = {
            let mut awareness = self.awareness.lock().unwrap_or_else(|e| e.into_inner());
            awareness.set_local_state(state)?;
            awareness.update_with_clients([awareness.client_id()])?
        };
        let _ = self
            .out
            .send(WsMessage::Binary(wire::encode_awareness(&update).into()));
        Ok(())
    }

    /// This replica's awareness client id (its document's client id).
    pub fn client_id(&self) -> u64 {
        self.board.doc().client_id().get()
    }

    /// Other clients' awareness states (JSON) as they sent them, sorted: without the
    /// `user.id` the server adds to a `user` that has none (see [`Client::peers_with_ids`]).
    pub fn peers(&self) -> Vec<serde_json::Value> {
        let mut states = self.peers_with_ids();
        for state in &mut states {
            if let Some(user) = state.get_mut("user").and_then(|u| u.as_object_mut()) {
                user.remove("id");
            }
        }
        states.sort_by_key(|s| s.to_string());
        states
    }

    /// Other clients' awareness states (JSON) as the server relayed them, sorted.
    pub fn peers_with_ids(&self) -> Vec<serde_json::Value> {
        let awareness = self.awareness.lock().unwrap_or_else(|e| e.into_inner());
        let me = awareness.client_id();
        let mut states: Vec<serde_json::Value> = awareness
            .iter()
            .filter(|(id, _)| *id != me)
            .filter_map(|(_, s)| s.data.as_deref().and_then(|j| serde_json::from_str(j).ok()))
            .collect();
        states.sort_by_key(|s| s.to_string());
        states
    }

    pub fn snapshot(&self) -> BoardSnapshot {
        self.board.snapshot(&self.board.doc().transact())
    }

    pub fn state(&self) -> State {
        self.state.borrow().clone()
    }

    /// Every binary frame received so far, as received (empty unless recording).
    pub fn frames(&self) -> Vec<Vec<u8>> {
        self.frames
            .as_ref()
            .map(|f| lock(f).clone())
            .unwrap_or_default()
    }

    pub async fn wait_synced(&self) -> anyhow::Result<()> {
        self.wait_state(|s| s.synced)
            .await
            .context("initial sync")
            .map(drop)
    }

    /// Asks the server to confirm that everything sent so far is on disk, and waits for it.
    pub async fn save(&self) -> anyhow::Result<()> {
        let seq = self.next_save.fetch_add(1, SeqCst);
        let frame = wire::encode_huddle(&HuddleMessage::SaveRequest { seq });
        let _ = self.out.send(WsMessage::Binary(frame.into()));
        self.wait_state(|s| s.saved >= seq)
            .await
            .context("waiting for 'saved'")
            .map(drop)
    }

    /// Waits until the server closes the connection; returns the close code and reason.
    pub async fn closed(&self) -> anyhow::Result<(u16, String)> {
        let state = self
            .wait_state(|s| s.closed.is_some())
            .await
            .context("waiting for close")?;
        Ok(state.closed.unwrap_or_default())
    }

    /// Waits until the board holds item `id` (`true`) or no longer holds it (`false`),
    /// without building a whole snapshot on every change (for measurements).
    pub async fn wait_item(&self, id: &str, present: bool) -> anyhow::Result<()> {
        self.wait_board(
            || (self.board.has_item(&self.board.doc().transact(), id) == present).then_some(()),
            || format!("timed out waiting for item {id} (present: {present})"),
        )
        .await
    }

    /// Waits until the board satisfies `pred`.
    pub async fn wait_until(
        &self,
        pred: impl Fn(&BoardSnapshot) -> bool,
    ) -> anyhow::Result<BoardSnapshot> {
        self.wait_board(
            || Some(self.snapshot()).filter(|s| pred(s)),
            || {
                format!(
                    "timed out waiting for the board; it is {:?}",
                    self.snapshot()
                )
            },
        )
        .await
    }

    /// Checks `done` after every change the connection receives until it gives a value;
    /// fails with `timed_out`'s words after [`WAIT`], or if the connection closes.
    async fn wait_board<T>(
        &self,
        done: impl Fn() -> Option<T>,
        timed_out: impl Fn() -> String,
    ) -> anyhow::Result<T> {
        let mut rx = self.state.clone();
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Some(value) = done() {
                return Ok(value);
            }
            if let Some(closed) = &rx.borrow().closed {
                bail!("connection closed while waiting: {closed:?}");
            }
            if tokio::time::timeout_at(deadline, rx.changed())
                .await
                .is_err()
            {
                bail!("{}", timed_out());
            }
        }
    }

    /// Waits until the awareness peers satisfy `pred`.
    pub async fn wait_peers(
        &self,
        pred: impl Fn(&[serde_json::Value]) -> bool,
    ) -> anyhow::Result<Vec<serde_json::Value>> {
        let mut rx = self.state.clone();
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let peers = self.peers();
            if pred(&peers) {
                return Ok(peers);
            }
            if tokio::time::timeout_at(deadline, rx.changed())
                .await
                .is_err()
            {
                bail!("timed out waiting for peers; they are {peers:?}");
            }
        }
    }

    /// Waits until the connection's [`State`] satisfies `pred` (or the connection closed).
    pub async fn wait_state_for(&self, pred: impl Fn(&State) -> bool) -> anyhow::Result<State> {
        let state = self.wait_state(&pred).await?;
        if !pred(&state) {
            bail!("closed while waiting: {:?}", state.closed);
        }
        Ok(state)
    }

    async fn wait_state(&self, pred: impl Fn(&State) -> bool) -> anyhow::Result<State> {
        let mut rx = self.state.clone();
        let state = tokio::time::timeout(WAIT, rx.wait_for(|s| pred(s) || s.closed.is_some()))
            .await
            .context("timed out")?
            .map_err(|_| anyhow::anyhow!("reader stopped"))?
            .clone();
        if !pred(&state) {
            bail!("connection closed: {:?}", state.closed);
        }
        Ok(state)
    }

    /// Closes the connection politely.
    pub async fn close(self) {
        let _ = self.out.send(WsMessage::Close(None));
        drop(self.out);
        let _ = tokio::time::timeout(Duration::from_secs(5), self.writer).await;
        self.reader.abort();
    }

    /// Drops the connection without a close handshake (a crashed tab, a lost network).
    pub fn abort(self) {
        self.reader.abort();
        self.writer.abort();
    }
}

fn handle_frame(
    board: &Board,
    awareness: &Mutex<Awareness>,
    out: &mpsc::UnboundedSender<WsMessage>,
    state: &watch::Sender<State>,
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
                state.send_modify(|s| {
                    s.synced = true;
                    s.applied += 1;
                });
            }
            Message::Update(update) => {
                apply(board, &update)?;
                state.send_modify(|s| s.applied += 1);
            }
            Message::Awareness(update) => {
                awareness
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .apply_update(update)?;
                state.send_modify(|s| s.applied += 1);
            }
            Message::Huddle(HuddleMessage::Saved { seq }) => {
                state.send_modify(|s| s.saved = s.saved.max(seq))
            }
            Message::Auth(Some(reason)) => state.send_modify(|s| s.denials.push(reason)),
            Message::Huddle(HuddleMessage::RoundEvent(event)) => {
                state.send_modify(|s| s.round_events.push(event))
            }
            Message::Huddle(HuddleMessage::FacilitationEvent(event)) => {
                state.send_modify(|s| s.fac_events.push(event))
            }
            Message::Huddle(HuddleMessage::CommentEvent(event)) => {
                state.send_modify(|s| s.comment_events.push(event))
            }
            Message::AwarenessQuery | Message::Auth(None) | Message::Huddle(_) => {}
        }
    }
    Ok(())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn apply(board: &Board, update: &[u8]) -> anyhow::Result<()> {
    let update = wire::decode_update(update)?;
    board.doc().transact_mut_with(REMOTE).apply_update(update)?;
    Ok(())
}
