//! Starting Chromium: the binary, its flags, a fresh profile directory, the DevTools address
//! it prints; and killing its whole process group when the [`Browser`] is dropped.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::sync::oneshot;

use super::cdp::Cdp;
use super::urls::check_loopback;
use super::{Browser, lock};
use crate::server::{assets_dir, newest_mtime};
use crate::workspace_root;

/// Where Debian's `chromium` package puts the browser (what `cargo xtask test` installs).
const DEBIAN_CHROMIUM: &str = "/usr/bin/chromium";

/// How long Chromium may take to print its DevTools address: about a second on an idle
/// machine, but the test machine has two noisy cores and tests start browsers in parallel.
pub(super) const LAUNCH_TIMEOUT: Duration = Duration::from_secs(30);

/// Lines of Chromium's stderr kept for error messages: it logs pages of harmless D-Bus
/// complaints in a container, so only the end is worth showing.
const STDERR_TAIL: usize = 40;

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
    browser_bin("HUDDLE_CHROMIUM", DEBIAN_CHROMIUM, "chromium", "Chromium")
}

/// Where Debian's `firefox-esr` package puts the browser.
const DEBIAN_FIREFOX: &str = "/usr/bin/firefox-esr";

/// The Firefox the Firefox tests drive: `$HUDDLE_FIREFOX`, else Debian's `firefox-esr`.
pub fn firefox_bin() -> anyhow::Result<PathBuf> {
    browser_bin("HUDDLE_FIREFOX", DEBIAN_FIREFOX, "firefox-esr", "Firefox")
}

/// The path in `env_var`, else `debian_path` (from the apt `package`), if it exists.
fn browser_bin(
    env_var: &str,
    debian_path: &str,
    package: &str,
    name: &str,
) -> anyhow::Result<PathBuf> {
    let path = std::env::var_os(env_var)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(debian_path));
    if !path.exists() {
        bail!(
            "{name} is missing ({} does not exist): run `cargo xtask test`, which installs it \
             (or `apt-get install -y {package}`, or set {env_var})",
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
