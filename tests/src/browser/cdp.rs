//! The DevTools socket: one WebSocket to the browser, commands matched to their answers by
//! request id, and the events worth keeping (console lines, exceptions, crashes) stored per
//! tab session.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use super::lock;

/// How long one CDP command may go unanswered before the browser is presumed stuck. Longer
/// than the tests' own waits, so a slow page fails in the test's words, not here.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// Console lines kept per page, so a chatty page cannot grow the test's memory without bound.
const CONSOLE_LINES: usize = 500;

/// The DevTools socket: requests matched to answers by id, events stored per session.
pub(super) struct Cdp {
    out: mpsc::UnboundedSender<WsMessage>,
    next_id: AtomicU64,
    pub(super) state: Arc<Mutex<CdpState>>,
    tasks: Vec<JoinHandle<()>>,
}

#[derive(Default)]
pub(super) struct CdpState {
    /// Commands sent and not answered yet, by id.
    pending: HashMap<u64, oneshot::Sender<Result<Value, String>>>,
    /// Console lines by session id.
    pub(super) console: HashMap<String, VecDeque<String>>,
    /// Why the socket is closed, once it is.
    closed: Option<String>,
}

impl Cdp {
    /// A connection that never was (stands in until `connect` succeeds).
    pub(super) fn closed() -> Cdp {
        let (out, _) = mpsc::unbounded_channel();
        let state = CdpState {
            closed: Some("not connected".into()),
            ..CdpState::default()
        };
        Cdp {
            out,
            next_id: AtomicU64::new(1),
            state: Arc::new(Mutex::new(state)),
            tasks: Vec::new(),
        }
    }

    pub(super) async fn connect(url: &str) -> anyhow::Result<Cdp> {
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .with_context(|| format!("connecting to Chromium's DevTools at {url}"))?;
        let (mut sink, mut stream) = ws.split();
        let (out, mut outgoing) = mpsc::unbounded_channel::<WsMessage>();
        let state = Arc::new(Mutex::new(CdpState::default()));

        let writer = tokio::spawn(async move {
            while let Some(msg) = outgoing.recv().await {
                if sink.send(msg).await.is_err() {
                    break;
                }
            }
        });
        let reader = {
            let state = state.clone();
            tokio::spawn(async move {
                let why = loop {
                    match stream.next().await {
                        Some(Ok(WsMessage::Text(text))) => match serde_json::from_str(&text) {
                            Ok(message) => dispatch(&state, message),
                            Err(err) => break format!("Chromium sent bad JSON: {err}"),
                        },
                        Some(Ok(WsMessage::Close(_))) | None => break "Chromium closed".into(),
                        Some(Ok(_)) => {}
                        Some(Err(err)) => break format!("DevTools socket failed: {err}"),
                    }
                };
                let mut state = lock(&state);
                state.closed = Some(why.clone());
                for (_, answer) in state.pending.drain() {
                    let _ = answer.send(Err(why.clone()));
                }
            })
        };
        Ok(Cdp {
            out,
            next_id: AtomicU64::new(1),
            state,
            tasks: vec![reader, writer],
        })
    }

    /// Sends a command (to a tab's session, or to the browser) and waits for its result.
    pub(super) async fn call(
        &self,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> anyhow::Result<Value> {
        let id = self.next_id.fetch_add(1, SeqCst);
        let (answer, answered) = oneshot::channel();
        {
            let mut state = lock(&self.state);
            if let Some(why) = &state.closed {
                bail!("{method}: no connection to Chromium ({why})");
            }
            state.pending.insert(id, answer);
        }
        let mut request = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            request["sessionId"] = session.into();
        }
        if self
            .out
            .send(WsMessage::Text(request.to_string().into()))
            .is_err()
        {
            lock(&self.state).pending.remove(&id);
            bail!("{method}: the DevTools socket is closed");
        }
        match tokio::time::timeout(COMMAND_TIMEOUT, answered).await {
            Ok(Ok(Ok(result))) => Ok(result),
            Ok(Ok(Err(error))) => bail!("{method} failed: {error}"),
            Ok(Err(_)) => bail!("{method}: the DevTools socket closed"),
            Err(_) => {
                lock(&self.state).pending.remove(&id);
                bail!("{method}: Chromium did not answer within {COMMAND_TIMEOUT:?}")
            }
        }
    }

    pub(super) fn shutdown(&self) {
        for task in &self.tasks {
            task.abort();
        }
        let mut state = lock(&self.state);
        state
            .closed
            .get_or_insert_with(|| "the browser was closed".into());
        state.pending.clear();
    }
}

/// Routes one message from Chromium: an answer to its command, or an event worth keeping.
fn dispatch(state: &Mutex<CdpState>, message: Value) {
    let mut state = lock(state);
    if let Some(id) = message["id"].as_u64() {
        if let Some(answer) = state.pending.remove(&id) {
            let result = match message.get("error") {
                Some(error) => Err(format!(
                    "{} {}",
                    error["message"].as_str().unwrap_or("unknown error"),
                    error["data"].as_str().unwrap_or_default()
                )
                .trim_end()
                .to_owned()),
                None => Ok(message["result"].clone()),
            };
            let _ = answer.send(result);
        }
        return;
    }
    let Some(session) = message["sessionId"].as_str() else {
        return;
    };
    let params = &message["params"];
    let line = match message["method"].as_str() {
        Some("Runtime.consoleAPICalled") => {
            let args: Vec<String> = params["args"]
                .as_array()
                .map(|args| args.iter().map(remote_object_text).collect())
                .unwrap_or_default();
            format!(
                "[{}] {}",
                params["type"].as_str().unwrap_or("log"),
                args.join(" ")
            )
        }
        Some("Runtime.exceptionThrown") => {
            let details = &params["exceptionDetails"];
            let text = details["exception"]["description"]
                .as_str()
                .or_else(|| details["text"].as_str())
                .unwrap_or("unknown exception");
            format!("[exception] {text}")
        }
        Some("Inspector.targetCrashed") => "[crashed] the page's renderer crashed".into(),
        _ => return,
    };
    let lines = state.console.entry(session.to_owned()).or_default();
    if lines.len() == CONSOLE_LINES {
        lines.pop_front();
    }
    lines.push_back(line);
}

/// A console argument as text: its value if it has one, else its description (`Error: ...`).
fn remote_object_text(object: &Value) -> String {
    match &object["value"] {
        Value::String(s) => s.clone(),
        Value::Null => object["description"]
            .as_str()
            .or_else(|| object["type"].as_str())
            .unwrap_or("?")
            .to_owned(),
        value => value.to_string(),
    }
}
