//! The stock JavaScript Yjs peer (`tests/js/yclient.mjs`: npm `yjs` + `y-websocket`), and
//! other Node.js scripts of `tests/js` (the Firefox driver, `firefox.mjs`).

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Mutex;

use anyhow::{Context, bail};
use tokio::io::AsyncWriteExt;

use crate::workspace_root;

/// `$HUDDLE_JS_DIR`, or `tests/js`.
pub fn js_dir() -> PathBuf {
    std::env::var_os("HUDDLE_JS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("tests/js"))
}

/// Runs `npm ci` once if the packages are not installed (`cargo xtask test` does it first).
fn ensure_installed() -> anyhow::Result<()> {
    static INSTALL: Mutex<bool> = Mutex::new(false);
    let mut done = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let modules = js_dir().join("node_modules");
    if *done
        || ["yjs", "puppeteer-core"]
            .iter()
            .all(|m| modules.join(m).exists())
    {
        *done = true;
        return Ok(());
    }
    let status = std::process::Command::new("npm")
        .arg("ci")
        .current_dir(js_dir())
        .status()
        .context("npm ci")?;
    if !status.success() {
        bail!("npm ci failed in {}", js_dir().display());
    }
    *done = true;
    Ok(())
}

/// Runs a JS peer on `board` with a script of steps; returns the JSON lines it printed
/// (one per `dump` / `dump_awareness` / `dump_events` step). `key` is passed as the `key` URL
/// parameter (a share link's key, or the server's admin key).
pub async fn run(
    ws_base: &str,
    board: &str,
    key: Option<&str>,
    steps: serde_json::Value,
) -> anyhow::Result<Vec<serde_json::Value>> {
    ensure_installed()?;
    let mut command = tokio::process::Command::new("node");
    if let Some(key) = key {
        command.env("HUDDLE_KEY", key);
    }
    let mut child = command
        .arg(js_dir().join("yclient.mjs"))
        .args([ws_base, board, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("cannot run node")?;
    let mut stdin = child.stdin.take().context("stdin")?;
    stdin.write_all(steps.to_string().as_bytes()).await?;
    drop(stdin);
    json_lines(child, "JS peer", std::time::Duration::from_secs(60)).await
}

/// Waits up to `timeout` for `child` (`what`) to end; returns the JSON lines it printed, or
/// its stderr if it failed.
async fn json_lines(
    child: tokio::process::Child,
    what: &str,
    timeout: std::time::Duration,
) -> anyhow::Result<Vec<serde_json::Value>> {
    let out = tokio::time::timeout(timeout, child.wait_with_output())
        .await
        .with_context(|| format!("{what} timed out after {timeout:?}"))??;
    if !out.status.success() {
        bail!(
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8(out.stdout)?
        .lines()
        .map(|l| serde_json::from_str(l).with_context(|| format!("bad JSON line {l:?}")))
        .collect()
}

/// Runs `tests/js/{script}` with `args`, killed after `timeout`; returns the JSON lines it
/// printed, or its stderr if it failed.
pub async fn run_script(
    script: &str,
    args: &[&str],
    timeout: std::time::Duration,
) -> anyhow::Result<Vec<serde_json::Value>> {
    ensure_installed()?;
    let child = tokio::process::Command::new("node")
        .arg(js_dir().join(script))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("cannot run node")?;
    json_lines(child, script, timeout).await
}
