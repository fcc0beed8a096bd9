//! Headless Chromium, driven over the Chrome DevTools Protocol (CDP), for tests that load the
//! real web client.
//!
//! A small CDP client rather than a CDP crate: the tests need about a dozen commands, and the
//! protocol is JSON over one WebSocket, which `tokio-tungstenite` and `serde_json` (used by the
//! rest of the harness) already speak. A [`Browser`] owns the Chromium process and the socket;
//! each [`Page`] is a tab attached in flat mode, so its commands travel on the same socket
//! tagged with the tab's `sessionId`.
//!
//! Pages only ever load loopback URLs, and Chromium is started with its background services
//! off and every host but the loopback ones unresolvable. The one thing added to the pages
//! under test is a `WebSocket` subclass that remembers open sockets, so that
//! [`Page::set_offline`] can drop them.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader};
use std::net::IpAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::server::assets_dir;
use crate::workspace_root;

/// Where Debian's `chromium` package puts the browser (what `cargo xtask test` installs).
const DEBIAN_CHROMIUM: &str = "/usr/bin/chromium";

/// How long Chromium may take to print its DevTools address: about a second on an idle
/// machine, but the test machine has two noisy cores and tests start browsers in parallel.
const LAUNCH_TIMEOUT: Duration = Duration::from_secs(30);

/// How long one CDP command may go unanswered before the browser is presumed stuck. Longer
/// than the tests' own waits, so a slow page fails in the test's words, not here.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// How often [`Page::wait_for`] evaluates its predicate again.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// Lines of Chromium's stderr kept for error messages: it logs pages of harmless D-Bus
/// complaints in a container, so only the end is worth showing.
const STDERR_TAIL: usize = 40;

/// Console lines kept per page, so a chatty page cannot grow the test's memory without bound.
const CONSOLE_LINES: usize = 500;

/// Characters of a script quoted when it throws: enough to recognise it.
const JS_IN_ERRORS: usize = 120;

/// The page's function that closes its open WebSockets (defined by [`TRACK_SOCKETS`]).
const DROP_SOCKETS: &str = "__huddleTestDropSockets";

/// Runs before each document's own scripts, given [`DROP_SOCKETS`]: the page's `WebSocket`
/// becomes a subclass that remembers open sockets, so that [`Page::set_offline`] can close them.
const TRACK_SOCKETS: &str = "(name) => {
    const open = new Set();
    const Native = globalThis.WebSocket;
    globalThis.WebSocket = class WebSocket extends Native {
        constructor(...args) {
            super(...args);
            open.add(this);
            this.addEventListener('close', () => open.delete(this));
        }
    };
    Object.defineProperty(globalThis, name, {
        value: () => {
            for (const ws of open) ws.close(4000, 'huddle test: network lost');
            return open.size;
        },
    });
}";

/// Flags for every launch, after the user-data dir and the debugging port.
const FLAGS: &[&str] = &[
    "--headless",
    // Containers have no user namespaces for the sandbox; the pages are our own.
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    // Nothing but the pages under test may touch the network: no updates, sync, or pings.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-breakpad",
    // No host resolves but the loopback ones (the rules apply to IP literals too).
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE [::1]",
    // Two tabs edit one board at once: neither may be throttled for being in the background.
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
    // A laptop-sized window (the viewport is a little shorter), so screenshots show what a
    // user sees.
    "--window-size=1280,800",
    "--hide-scrollbars",
    "--mute-audio",
];

/// The Chromium the tests drive: `$HUDDLE_CHROMIUM` (set by `cargo xtask test`), or
/// Debian's `/usr/bin/chromium`.
pub fn chromium_bin() -> anyhow::Result<PathBuf> {
    let path = std::env::var_os("HUDDLE_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEBIAN_CHROMIUM));
    if !path.exists() {
        bail!(
            "Chromium is missing ({} does not exist): run `cargo xtask test`, which installs it \
             (or `apt-get install -y chromium`, or set HUDDLE_CHROMIUM)",
            path.display()
        );
    }
    Ok(path)
}

/// Fails unless the web client is built (`cargo xtask build-client`) and, when it is the
/// default `client/dist`, newer than its sources: like [`huddle_bin`], so that a plain
/// `cargo test` never silently drives a stale client.
///
/// [`huddle_bin`]: crate::server::huddle_bin
pub fn ensure_client_built() -> anyhow::Result<()> {
    let wasm = assets_dir().join("pkg/huddle_client_bg.wasm");
    let built = std::fs::metadata(&wasm)
        .and_then(|m| m.modified())
        .map_err(|_| {
            anyhow::anyhow!(
                "{} is missing: run `cargo xtask test` (or `cargo xtask build-client` first)",
                wasm.display()
            )
        })?;
    if std::env::var_os("HUDDLE_ASSETS").is_some() {
        return Ok(());
    }
    let newest = ["client/src", "client/static", "shared/src"]
        .iter()
        .filter_map(|dir| newest_mtime(&workspace_root().join(dir)))
        .max();
    if newest.is_some_and(|newest| newest > built) {
        bail!(
            "{} is older than the client's sources: run `cargo xtask test` (or `cargo xtask \
             build-client` first)",
            wasm.display()
        );
    }
    Ok(())
}

fn newest_mtime(dir: &Path) -> Option<SystemTime> {
    let mut newest = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let modified = if path.is_dir() {
            newest_mtime(&path)
        } else {
            entry.metadata().ok()?.modified().ok()
        };
        newest = newest.max(modified);
    }
    newest
}

/// A headless Chromium with a fresh profile. The process (and everything it started) is killed
/// and the profile deleted when this is dropped; open [`Page`]s stop working then.
pub struct Browser {
    cdp: Arc<Cdp>,
    child: Child,
    /// The last lines Chromium wrote to stderr.
    stderr: Arc<Mutex<VecDeque<String>>>,
    /// The profile (`--user-data-dir`); deleted after the process is gone (see `Drop`).
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts Chromium and connects to it.
    pub async fn launch() -> anyhow::Result<Browser> {
        let bin = chromium_bin()?;
        let profile = tempfile::Builder::new()
            .prefix("huddle-chromium-")
            .tempdir()
            .context("cannot create a Chromium profile directory")?;
        let mut child = Command::new(&bin)
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("--remote-debugging-port=0")
            .args(FLAGS)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            // Its own process group, so that `Drop` can kill the renderers with the browser.
            .process_group(0)
            .spawn()
            .with_context(|| {
                format!(
                    "cannot start {}: run `cargo xtask test`, which installs Chromium",
                    bin.display()
                )
            })?;

        let stderr = Arc::new(Mutex::new(VecDeque::new()));
        let (found, address) = oneshot::channel();
        let Some(pipe) = child.stderr.take() else {
            bail!("Chromium's stderr was not captured");
        };
        let tail = stderr.clone();
        std::thread::spawn(move || {
            let mut found = Some(found);
            // Keep draining after the address line, so Chromium never blocks on a full pipe.
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("DevTools listening on ")
                    && let Some(found) = found.take()
                {
                    let _ = found.send(url.trim().to_owned());
                }
                let mut tail = lock(&tail);
                if tail.len() == STDERR_TAIL {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
        });

        let mut browser = Browser {
            cdp: Arc::new(Cdp::closed()),
            child,
            stderr,
            _profile: profile,
        };
        let url = match tokio::time::timeout(LAUNCH_TIMEOUT, address).await {
            Ok(Ok(url)) => url,
            Ok(Err(_)) => bail!(
                "Chromium exited before listening for DevTools; its stderr ends with:\n{}",
                browser.stderr_tail()
            ),
            Err(_) => bail!(
                "Chromium did not print its DevTools address within {LAUNCH_TIMEOUT:?}; its \
                 stderr ends with:\n{}",
                browser.stderr_tail()
            ),
        };
        check_loopback(&url).context("Chromium's DevTools address")?;
        browser.cdp = Arc::new(Cdp::connect(&url).await?);
        Ok(browser)
    }

    /// Opens a new tab on `url` (loopback only) and waits until it has loaded.
    pub async fn new_page(&self, url: &str) -> anyhow::Result<Page> {
        check_loopback(url)?;
        let created = self
            .cdp
            .call(None, "Target.createTarget", json!({ "url": "about:blank" }))
            .await?;
        let target = created["targetId"]
            .as_str()
            .context("Target.createTarget answered without a targetId")?
            .to_owned();
        let attached = self
            .cdp
            .call(
                None,
                "Target.attachToTarget",
                json!({ "targetId": target, "flatten": true }),
            )
            .await?;
        let session = attached["sessionId"]
            .as_str()
            .context("Target.attachToTarget answered without a sessionId")?
            .to_owned();
        let page = Page {
            cdp: self.cdp.clone(),
            session,
        };
        // Console messages and uncaught exceptions, for error messages (see `Page::console`).
        page.call("Runtime.enable", json!({})).await?;
        // Without `Page.enable`, Chromium 156 ignores the script added next.
        page.call("Page.enable", json!({})).await?;
        page.call(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": format!("({TRACK_SOCKETS})({})", js_string(DROP_SOCKETS)) }),
        )
        .await?;
        // Every tab behaves as if it had the focus: two tabs edit at once in these tests.
        page.call(
            "Emulation.setFocusEmulationEnabled",
            json!({ "enabled": true }),
        )
        .await?;
        page.goto(url).await?;
        Ok(page)
    }

    fn stderr_tail(&self) -> String {
        lock(&self.stderr)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.cdp.shutdown();
        // SIGKILL to the whole group (the browser, its zygotes and renderers). The group is
        // ours: `process_group(0)` made the browser its leader.
        let group = format!("-{}", self.child.id());
        let killed = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !killed {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// One tab, attached in flat mode.
pub struct Page {
    cdp: Arc<Cdp>,
    session: String,
}

impl Page {
    /// Loads `url` (loopback only) and waits until the document has loaded. Scripts the page
    /// starts (the wasm client) may still be running: wait for what they draw.
    pub async fn goto(&self, url: &str) -> anyhow::Result<()> {
        check_loopback(url)?;
        let navigated = self.call("Page.navigate", json!({ "url": url })).await?;
        if let Some(error) = navigated["errorText"].as_str().filter(|e| !e.is_empty()) {
            bail!("loading {url} failed: {error}");
        }
        self.wait_for(
            &format!(
                "document.readyState === 'complete' && location.href === {}",
                js_string(&normalize(url))
            ),
            LAUNCH_TIMEOUT,
        )
        .await
        .with_context(|| format!("loading {url}"))?;
        Ok(())
    }

    /// Evaluates `js` (an expression; a promise is awaited) and returns its value as JSON
    /// (`undefined` and values JSON cannot hold come back as `null`). A thrown exception is
    /// an error carrying its message.
    pub async fn eval(&self, js: &str) -> anyhow::Result<Value> {
        let answer = self
            .call(
                "Runtime.evaluate",
                json!({
                    "expression": js,
                    "awaitPromise": true,
                    "returnByValue": true,
                }),
            )
            .await?;
        if let Some(details) = answer.get("exceptionDetails") {
            let message = details["exception"]["description"]
                .as_str()
                .or_else(|| details["exception"]["value"].as_str())
                .or_else(|| details["text"].as_str())
                .unwrap_or("unknown exception");
            let mut source: String = js.trim().chars().take(JS_IN_ERRORS).collect();
            if source.len() < js.trim().len() {
                source.push('…');
            }
            bail!("JavaScript threw: {message}\n  while evaluating: {source}");
        }
        Ok(answer["result"]["value"].clone())
    }

    /// Evaluates `js` every 50 ms until its value is truthy (in JavaScript's sense) and
    /// returns that value. Exceptions count as "not yet" (the page may be navigating or still
    /// loading); on timeout the error carries the last value or exception.
    pub async fn wait_for(&self, js: &str, timeout: Duration) -> anyhow::Result<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let last = match self.eval(js).await {
                Ok(value) if truthy(&value) => return Ok(value),
                Ok(value) => value.to_string(),
                Err(err) => format!("{err:#}"),
            };
            if Instant::now() >= deadline {
                bail!("timed out after {timeout:?} waiting for `{js}`; it last gave {last}");
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// Focuses the element matching `selector`, puts the caret at the end of its text, and
    /// types `text` one character at a time with `Input.insertText`, so the page sees real
    /// `beforeinput` and `input` events, one per character, as from a keyboard.
    pub async fn type_into(&self, selector: &str, text: &str) -> anyhow::Result<()> {
        let focus = format!(
            "(() => {{
                const el = document.querySelector({sel});
                if (!el) throw new Error('no element matches ' + {sel});
                el.focus();
                if (document.activeElement !== el) throw new Error({sel} + ' cannot take the focus');
                if (typeof el.value === 'string' && el.setSelectionRange) {{
                    try {{ el.setSelectionRange(el.value.length, el.value.length); }} catch (_) {{}}
                }}
                return true;
            }})()",
            sel = js_string(selector)
        );
        self.eval(&focus).await?;
        let mut buf = [0; 4];
        for c in text.chars() {
            self.call(
                "Input.insertText",
                json!({ "text": c.encode_utf8(&mut buf) }),
            )
            .await
            .with_context(|| format!("typing into {selector}"))?;
        }
        Ok(())
    }

    /// Clicks the middle of the element matching `selector` with the mouse (scrolled into
    /// view first). Fails if it is missing, invisible, disabled, or covered by another element.
    pub async fn click(&self, selector: &str) -> anyhow::Result<()> {
        let locate = format!(
            "(() => {{
                const sel = {sel};
                const el = document.querySelector(sel);
                if (!el) throw new Error('no element matches ' + sel);
                if (el.disabled) throw new Error(sel + ' is disabled');
                el.scrollIntoView({{ block: 'center', inline: 'center' }});
                const r = el.getBoundingClientRect();
                if (r.width === 0 || r.height === 0) throw new Error(sel + ' is not visible');
                const x = r.left + r.width / 2, y = r.top + r.height / 2;
                const hit = document.elementFromPoint(x, y);
                if (!hit || !el.contains(hit)) {{
                    throw new Error(sel + ' is covered by ' + (hit ? hit.outerHTML.slice(0, 80) : 'nothing'));
                }}
                return [x, y];
            }})()",
            sel = js_string(selector)
        );
        let at = self.eval(&locate).await?;
        let (Some(x), Some(y)) = (at[0].as_f64(), at[1].as_f64()) else {
            bail!("could not locate {selector}: got {at}");
        };
        for (kind, buttons) in [("mouseMoved", 0), ("mousePressed", 1), ("mouseReleased", 0)] {
            let mut event = json!({ "type": kind, "x": x, "y": y, "buttons": buttons });
            if kind != "mouseMoved" {
                event["button"] = "left".into();
                event["clickCount"] = 1.into();
            }
            self.call("Input.dispatchMouseEvent", event)
                .await
                .with_context(|| format!("clicking {selector}"))?;
        }
        Ok(())
    }

    /// Saves a PNG of the viewport to `path`, creating its directory.
    pub async fn screenshot(&self, path: &Path) -> anyhow::Result<()> {
        let shot = self
            .call("Page.captureScreenshot", json!({ "format": "png" }))
            .await?;
        let data = shot["data"]
            .as_str()
            .context("Page.captureScreenshot answered without data")?;
        let png = base64_decode(data).context("screenshot data")?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(path, png).with_context(|| format!("writing {}", path.display()))
    }

    /// Cuts this tab off the network (or reconnects it), as a lost Wi-Fi would.
    ///
    /// Chromium's offline emulation fails new requests and WebSockets but leaves open
    /// WebSockets working (seen with Chromium 156), so going offline also closes the page's
    /// open WebSockets (tracked by [`TRACK_SOCKETS`]), with code 4000. The page sees `close`
    /// as on a lost network; the server sees a clean close rather than a dead peer.
    pub async fn set_offline(&self, offline: bool) -> anyhow::Result<()> {
        self.call("Network.enable", json!({})).await?;
        self.call(
            "Network.emulateNetworkConditions",
            json!({
                "offline": offline,
                "latency": 0,
                "downloadThroughput": -1,
                "uploadThroughput": -1,
            }),
        )
        .await?;
        if offline {
            self.eval(&format!("globalThis.{DROP_SOCKETS}()")).await?;
        }
        Ok(())
    }

    /// What the page logged on its console and its uncaught exceptions, oldest first, as
    /// `"[level] text"` lines.
    pub fn console(&self) -> Vec<String> {
        lock(&self.cdp.state)
            .console
            .get(&self.session)
            .map(|lines| lines.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Sends any CDP command to this tab.
    pub async fn call(&self, method: &str, params: Value) -> anyhow::Result<Value> {
        self.cdp.call(Some(&self.session), method, params).await
    }
}

/// The DevTools socket: requests matched to answers by id, events stored per session.
struct Cdp {
    out: mpsc::UnboundedSender<WsMessage>,
    next_id: AtomicU64,
    state: Arc<Mutex<CdpState>>,
    tasks: Vec<JoinHandle<()>>,
}

#[derive(Default)]
struct CdpState {
    /// Commands sent and not answered yet, by id.
    pending: HashMap<u64, oneshot::Sender<Result<Value, String>>>,
    /// Console lines by session id.
    console: HashMap<String, VecDeque<String>>,
    /// Why the socket is closed, once it is.
    closed: Option<String>,
}

impl Cdp {
    /// A connection that never was (stands in until `connect` succeeds).
    fn closed() -> Cdp {
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

    async fn connect(url: &str) -> anyhow::Result<Cdp> {
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
    async fn call(
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

    fn shutdown(&self) {
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

/// JavaScript's truthiness for a value returned by `Runtime.evaluate`.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0 && !n.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// `s` as a JavaScript string literal (JSON strings are JavaScript strings).
fn js_string(s: &str) -> String {
    Value::from(s).to_string()
}

/// `url` as `location.href` spells it: an origin without a path gets `/`.
fn normalize(url: &str) -> String {
    match url.split_once("://") {
        Some((_, rest)) if !rest.contains('/') => format!("{url}/"),
        _ => url.to_owned(),
    }
}

/// Refuses anything but `about:blank` and http(s)/ws(s) URLs on a loopback host.
fn check_loopback(url: &str) -> anyhow::Result<()> {
    if url == "about:blank" {
        return Ok(());
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        bail!("not an absolute URL: {url}");
    };
    if !matches!(scheme, "http" | "https" | "ws" | "wss") {
        bail!("tests only load http(s) and ws(s) URLs, not {url}");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    let loopback = !authority.contains('@')
        && (host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()));
    if !loopback {
        bail!("tests only load loopback URLs, not {url}");
    }
    Ok(())
}

/// Decodes standard base64 (what CDP uses for binary data); padding and whitespace ignored.
fn base64_decode(text: &str) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut bits, mut nbits) = (0u32, 0u32);
    for byte in text.bytes() {
        let sextet = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' | b'\n' | b'\r' | b' ' => continue,
            _ => bail!("not base64: byte {byte:#04x}"),
        };
        bits = (bits << 6) | u32::from(sextet);
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    Ok(out)
}

/// Locks a mutex; the data behind these stays consistent even if a holder panicked.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_what_cdp_sends() {
        assert_eq!(base64_decode("").unwrap(), b"");
        assert_eq!(base64_decode("aGk=").unwrap(), b"hi");
        assert_eq!(base64_decode("aGk").unwrap(), b"hi");
        assert_eq!(base64_decode("aHVkZGxl").unwrap(), b"huddle");
        assert_eq!(base64_decode("iVBORw0KGgo=").unwrap(), b"\x89PNG\r\n\x1a\n");
        assert_eq!(base64_decode("+/8=").unwrap(), [0xfb, 0xff]);
        assert!(base64_decode("a*b").is_err());
    }

    #[test]
    fn only_loopback_urls_load() {
        for ok in [
            "about:blank",
            "http://127.0.0.1:8080/",
            "http://127.0.0.1:8080",
            "http://localhost/b/x?y#z",
            "ws://[::1]:9/ws",
            "http://127.9.9.9/",
        ] {
            assert!(check_loopback(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://example.com/",
            "http://10.0.0.1/",
            "https://127.0.0.1.evil.example/",
            "http://127.0.0.1@example.com/",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "127.0.0.1:80",
        ] {
            assert!(check_loopback(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn truthiness_is_javascripts() {
        for (value, expected) in [
            (json!(null), false),
            (json!(false), false),
            (json!(0), false),
            (json!(""), false),
            (json!(true), true),
            (json!(-1), true),
            (json!("0"), true),
            (json!([]), true),
            (json!({}), true),
        ] {
            assert_eq!(truthy(&value), expected, "{value}");
        }
    }

    #[test]
    fn bare_origins_get_a_slash() {
        assert_eq!(normalize("http://127.0.0.1:1"), "http://127.0.0.1:1/");
        assert_eq!(
            normalize("http://127.0.0.1:1/b/x"),
            "http://127.0.0.1:1/b/x"
        );
    }
}
