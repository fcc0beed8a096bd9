//! One tab and what a test does with it: load a URL, evaluate JavaScript, wait for a
//! condition, type, click, take a screenshot, go offline, read the console.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use super::base64::base64_decode;
use super::cdp::Cdp;
use super::launch::LAUNCH_TIMEOUT;
use super::lock;
use super::urls::{check_loopback, normalize};

/// How often [`Page::wait_for`] evaluates its predicate again.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

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

/// One tab, attached in flat mode.
pub struct Page {
    cdp: Arc<Cdp>,
    session: String,
}

impl Page {
    /// Prepares a tab just attached as `session` (console capture, the socket tracker, focus)
    /// and loads `url` in it: the rest of [`Browser::new_page`].
    ///
    /// [`Browser::new_page`]: super::Browser::new_page
    pub(super) async fn open(cdp: Arc<Cdp>, session: String, url: &str) -> anyhow::Result<Page> {
        let page = Page { cdp, session };
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

    /// Blocks (or unblocks) the page's WebSockets only: open ones are closed and new ones
    /// fail, while its HTTP requests go through (the server is up, the sync is not).
    pub async fn block_websockets(&self, block: bool) -> anyhow::Result<()> {
        self.call("Network.enable", json!({})).await?;
        let urls: &[&str] = if block { &["ws://*"] } else { &[] };
        self.call("Network.setBlockedURLs", json!({ "urls": urls }))
            .await?;
        if block {
            self.eval(&format!("globalThis.{DROP_SOCKETS}()")).await?;
        }
        Ok(())
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

    /// The console lines that are errors, uncaught exceptions, crashes or failed assertions.
    pub fn errors(&self) -> Vec<String> {
        self.console()
            .into_iter()
            .filter(|line| {
                ["[error]", "[exception]", "[crashed]", "[assert]"]
                    .iter()
                    .any(|level| line.starts_with(level))
            })
            .collect()
    }

    /// Sets the files of the `<input type=file>` matching `selector`, as picking them in the
    /// file dialog would (the input then fires `change`).
    pub async fn set_input_files(&self, selector: &str, files: &[&Path]) -> anyhow::Result<()> {
        let found = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": format!("document.querySelector({})", js_string(selector)) }),
            )
            .await?;
        let Some(object) = found["result"]["objectId"].as_str() else {
            bail!("no element matches {selector}");
        };
        let files: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        self.call(
            "DOM.setFileInputFiles",
            json!({ "files": files, "objectId": object }),
        )
        .await?;
        Ok(())
    }

    /// Saves what this tab downloads into `dir` (under the names the page gives the files).
    pub async fn allow_downloads(&self, dir: &Path) -> anyhow::Result<()> {
        self.call(
            "Page.setDownloadBehavior",
            json!({ "behavior": "allow", "downloadPath": dir.display().to_string() }),
        )
        .await?;
        Ok(())
    }

    /// Sends any CDP command to this tab.
    pub async fn call(&self, method: &str, params: Value) -> anyhow::Result<Value> {
        self.cdp.call(Some(&self.session), method, params).await
    }
}

/// JavaScript's truthiness for a value returned by `Runtime.evaluate`.
pub(super) fn truthy(value: &Value) -> bool {
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
