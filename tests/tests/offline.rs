//! Offline-first in real headless Chromium against the real server: a reloaded tab shows the
//! same board, even with the server gone (issue 3, test 4; test 3, two people and one of them
//! offline, is in `whiteboard.rs`). Around them: the heartbeat notices a silent server,
//! the board works online when IndexedDB does not, keystrokes are compacted, and a new build
//! replaces the cached app.
//!
//! The UI steps (add a note, type into it, read the notes) are small helper functions, so
//! they can follow the board page when it changes. Needs the built client and Chromium:
//! `cargo xtask build-client && cargo build -p huddle-server`, then
//! `HUDDLE_BIN=$PWD/target/debug/huddle cargo test -p huddle-tests --test offline`.

use std::collections::BTreeMap;

use anyhow::{Context, ensure};
use huddle_tests::browser::{self, Browser, Page};
use huddle_tests::client::{Client, WAIT};
use huddle_tests::http;
use huddle_tests::server::{DataDir, TestServer};
use serde_json::{Value, json};

// ---- the board page, as a user drives it ---------------------------------------------------

/// Double-clicks an empty spot of the canvas (a new spot for each note: they are laid out in
/// rows) and returns the id of the note that appeared there, its editor open.
async fn add_note(page: &Page) -> anyhow::Result<String> {
    let before = note_texts(page).await?;
    let n = before.len() as f64;
    let at = page
        .eval(&format!(
            "(() => {{ const r = document.querySelector('#board-canvas').getBoundingClientRect();
                       return [r.left + 80 + 260 * ({n} % 4), r.top + 60 + 260 * Math.floor({n} / 4)]; }})()"
        ))
        .await?;
    let at: [f64; 2] = serde_json::from_value(at)?;
    page.double_click_at(at).await?;
    let id = wait(
        page,
        "a new note",
        &format!(
            "(() => {{ const id = huddle.editing(); return !{}.includes(id) && id; }})()",
            json!(before.keys().collect::<Vec<_>>())
        ),
    )
    .await?;
    Ok(id.as_str().context("note id")?.to_owned())
}

/// Types `text` at the end of note `id` (opening its editor with a double-click if needed).
async fn type_into_note(page: &Page, id: &str, text: &str) -> anyhow::Result<()> {
    let editing = page.eval("huddle.editing()").await?;
    if editing != id {
        let at = page
            .eval(&format!(
                "(() => {{ const n = huddle.snapshot().items[{}];
                           return huddle.worldToClient(n.pos[0] + n.size[0] / 2, n.pos[1] + n.size[1] / 2); }})()",
                json!(id)
            ))
            .await?;
        let at: [f64; 2] = serde_json::from_value(at)?;
        page.double_click_at(at).await?;
        wait(
            page,
            "the note's editor",
            &format!("huddle.editing() === {}", json!(id)),
        )
        .await?;
    }
    page.type_into("#note-editor", text).await
}

/// JavaScript for every note the page has, as `[[id, text]...]` sorted by id.
const NOTES_JS: &str = "Object.entries(huddle.snapshot().items)
    .filter(([, item]) => item.kind === 'note')
    .map(([id, item]) => [id, item.text])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))";

/// Every note the page has: id -> text.
async fn note_texts(page: &Page) -> anyhow::Result<BTreeMap<String, String>> {
    let notes = page
        .eval(&format!("Object.fromEntries({NOTES_JS})"))
        .await?;
    Ok(serde_json::from_value(notes)?)
}

/// Waits until the page has exactly `expected` (id -> text).
async fn wait_notes(
    page: &Page,
    what: &str,
    expected: &BTreeMap<String, String>,
) -> anyhow::Result<()> {
    let js = format!(
        "window.huddle && JSON.stringify({NOTES_JS}) === JSON.stringify(Object.entries({}))",
        json!(expected)
    );
    wait(page, what, &js).await.map(drop)
}

/// Waits until `#status` says `status`.
async fn wait_status(page: &Page, status: &str) -> anyhow::Result<()> {
    let js = format!(
        "document.querySelector('#status')?.textContent === {}",
        json!(status)
    );
    wait(page, &format!("status '{status}'"), &js)
        .await
        .map(drop)
}

// ---- helpers --------------------------------------------------------------------------------

async fn start() -> anyhow::Result<(TestServer, DataDir, Browser)> {
    browser::ensure_client_built()?;
    let (server, data) = TestServer::start()?;
    let browser = Browser::launch().await?;
    Ok((server, data, browser))
}

/// Opens the board, waits until it is connected and its service worker has cached the app.
async fn open_board(browser: &Browser, url: &str) -> anyhow::Result<Page> {
    let page = browser.new_page(url).await?;
    wait(
        &page,
        "the board page to connect",
        "['online', 'saved'].includes(document.querySelector('#status')?.textContent)",
    )
    .await?;
    wait_for_service_worker(&page).await?;
    Ok(page)
}

/// The service worker is active (so its install, which caches the app shell, is done) and
/// controls this page.
async fn wait_for_service_worker(page: &Page) -> anyhow::Result<()> {
    wait(
        page,
        "the service worker",
        "navigator.serviceWorker.ready.then(r => !!r.active && !!navigator.serviceWorker.controller)",
    )
    .await
    .map(drop)
}

async fn wait(page: &Page, what: &str, js: &str) -> anyhow::Result<Value> {
    match page.wait_for(js, WAIT).await {
        Ok(value) => Ok(value),
        Err(err) => {
            let shown = page
                .eval(
                    "({ path: location.pathname, status: document.querySelector('#status')?.textContent ?? null,
                        app: document.querySelector('#app')?.innerText.slice(0, 300) ?? null })",
                )
                .await
                .map_or_else(|e| format!("(unreadable: {e:#})"), |v| v.to_string());
            Err(err.context(format!(
                "waiting for {what}; the page shows {shown}; console: {:?}",
                page.console()
            )))
        }
    }
}

/// The keys the page's IndexedDB holds for `board`: `{states: [[board, session]...],
/// updates: [[board, session, seq]...]}`.
async fn stored_keys(page: &Page, board: &str) -> anyhow::Result<Value> {
    page.eval(&format!(
        "new Promise((resolve, reject) => {{
            const open = indexedDB.open('huddle');
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {{
                const db = open.result;
                const txn = db.transaction(['states', 'updates']);
                const range = IDBKeyRange.bound([{b}], [{b}, []]);
                const states = txn.objectStore('states').getAllKeys(range);
                const updates = txn.objectStore('updates').getAllKeys(range);
                txn.oncomplete = () => {{
                    db.close();
                    resolve({{ states: states.result, updates: updates.result }});
                }};
                txn.onerror = () => reject(txn.error);
            }};
        }})",
        b = json!(board)
    ))
    .await
}

/// Neither a panic nor an uncaught exception, and nothing went wrong with IndexedDB.
fn assert_healthy(page: &Page, which: &str) -> anyhow::Result<()> {
    let bad: Vec<String> = page
        .console()
        .into_iter()
        .filter(|line| {
            line.starts_with("[exception]")
                || line.starts_with("[crashed]")
                || line.contains("panicked")
                || line.contains("IndexedDB")
        })
        .collect();
    ensure!(bad.is_empty(), "{which} logged: {bad:#?}");
    Ok(())
}

// ---- tests ----------------------------------------------------------------------------------

/// Issue 3, test 4: a reload shows the same board, from the server and from IndexedDB, and
/// the board still opens with its last state when the server is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_shows_the_board_even_without_the_server() -> anyhow::Result<()> {
    let (mut server, _data, browser) = start().await?;
    let board = http::create_board(server.addr(), "Reloaded").await?;
    let url = server.http_url(&format!("/b/{board}"));
    let page = open_board(&browser, &server.page_url(&board)).await?;

    let a = add_note(&page).await?;
    type_into_note(&page, &a, "first note").await?;
    let b = add_note(&page).await?;
    type_into_note(&page, &b, "second note").await?;
    wait_status(&page, "saved").await?;
    let expected = note_texts(&page).await?;
    ensure!(expected.len() == 2, "the page shows {expected:?}");

    page.goto(&url).await?;
    wait_notes(&page, "the board after a reload", &expected).await?;
    wait(
        &page,
        "the reloaded page to connect",
        "['online', 'saved'].includes(document.querySelector('#status')?.textContent)",
    )
    .await?;
    wait(
        &page,
        "the board's title",
        "document.querySelector('#board-title')?.textContent === 'Reloaded'",
    )
    .await?;
    // The reloaded page adopted the first one's rows into its own compacted state.
    let mut keys = Value::Null;
    for _ in 0..100 {
        keys = stored_keys(&page, &board).await?;
        let states = keys["states"].as_array().map_or(0, Vec::len);
        let session = &keys["states"][0][1];
        let own_rows = keys["updates"]
            .as_array()
            .is_some_and(|rows| rows.iter().all(|key| &key[1] == session));
        if states == 1 && own_rows {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let session = &keys["states"][0][1];
    ensure!(
        keys["states"].as_array().map(Vec::len) == Some(1)
            && keys["updates"]
                .as_array()
                .is_some_and(|rows| rows.iter().all(|key| &key[1] == session)),
        "IndexedDB holds {keys} for the board: not one state and only its own rows"
    );

    // The server is gone: the page still opens, with the last state, and says offline.
    server.kill9();
    page.goto(&url).await?;
    wait_notes(&page, "the board with the server gone", &expected).await?;
    wait_status(&page, "offline").await?;
    wait(
        &page,
        "the board's title without the server",
        "document.querySelector('#board-title')?.textContent === 'Reloaded'",
    )
    .await?;
    assert_healthy(&page, "the page")
}

/// The heartbeat: a connection to a server that stopped answering (frozen with SIGSTOP, so
/// its socket stays open) is noticed as dead, and the page reconnects when it answers again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_connection_is_noticed_and_replaced() -> anyhow::Result<()> {
    /// The page gives up after 30 s of silence, checked every 5 s; then some slack.
    const NOTICE: std::time::Duration = std::time::Duration::from_secs(60);
    let (server, _data, browser) = start().await?;
    let board = http::create_board(server.addr(), "Heartbeat").await?;
    let page = open_board(&browser, &server.page_url(&board)).await?;
    let pid = server.pid().to_string();

    let signal = |sig: &str| {
        std::process::Command::new("kill")
            .args([sig, &pid])
            .status()
            .with_context(|| format!("kill {sig} {pid}"))
    };
    ensure!(signal("-STOP")?.success(), "could not stop the server");
    let noticed = page
        .wait_for(
            "document.querySelector('#status')?.textContent === 'offline'",
            NOTICE,
        )
        .await;
    ensure!(signal("-CONT")?.success(), "could not resume the server");
    noticed.context("the page never noticed that the server went silent")?;

    let id = add_note(&page).await?;
    type_into_note(&page, &id, "after the silence").await?;
    page.wait_for(
        "document.querySelector('#status')?.textContent === 'saved'",
        NOTICE,
    )
    .await
    .context("the page did not reconnect and save after the server came back")?;
    let rust = Client::join(&server.ws_url(&board)).await?;
    rust.wait_until(|s| {
        s.items
            .get(&id)
            .is_some_and(|n| n.text == "after the silence")
    })
    .await
    .context("the server never got the note")?;
    assert_healthy(&page, "the page")
}

/// An IndexedDB that never answers (as some browsers' has) or is missing does not keep the
/// board from working online: the page logs it once and goes on without a local copy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_works_online_when_indexeddb_does_not() -> anyhow::Result<()> {
    let (server, _data, browser) = start().await?;
    let board = http::create_board(server.addr(), "No IndexedDB").await?;
    for (which, script) in [
        // `open` returns a request that never fires.
        ("a hanging IndexedDB", "indexedDB.open = () => ({});"),
        (
            "no IndexedDB",
            "Object.defineProperty(globalThis, 'indexedDB', { get: () => undefined });",
        ),
    ] {
        let page = browser.new_page("about:blank").await?;
        page.call(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": script }),
        )
        .await?;
        page.goto(&server.page_url(&board)).await?;
        wait(
            &page,
            &format!("the board page to connect with {which}"),
            "['online', 'saved'].includes(document.querySelector('#status')?.textContent)",
        )
        .await?;
        let id = add_note(&page).await?;
        type_into_note(&page, &id, which).await?;
        wait_status(&page, "saved").await?;
        let warnings = page
            .console()
            .into_iter()
            .filter(|line| line.contains("IndexedDB is unavailable"))
            .count();
        ensure!(
            warnings == 1,
            "with {which} the page logged {warnings} warnings: {:?}",
            page.console()
        );
    }
    Ok(())
}

/// Every keystroke is a row in IndexedDB until a few hundred of them are folded into one
/// state; the text comes back whole from the state and the rows after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_edits_are_compacted_and_restored() -> anyhow::Result<()> {
    let (server, _data, browser) = start().await?;
    let board = http::create_board(server.addr(), "Compaction").await?;
    let url = server.http_url(&format!("/b/{board}"));
    let page = open_board(&browser, &server.page_url(&board)).await?;
    let id = add_note(&page).await?;
    let text: String = (0..350)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    type_into_note(&page, &id, &text).await?;
    let expected = BTreeMap::from([(id.clone(), text.clone())]);
    wait_notes(&page, "the typed text", &expected).await?;

    let keys = stored_keys(&page, &board).await?;
    let states = keys["states"].as_array().map_or(0, Vec::len);
    let rows = keys["updates"].as_array().map_or(0, Vec::len);
    ensure!(
        states == 1 && rows < 300,
        "after {} keystrokes IndexedDB holds {states} states and {rows} rows",
        text.len()
    );

    page.set_offline(true).await?;
    page.goto(&url).await?;
    wait_notes(&page, "the text restored offline", &expected).await?;
    assert_healthy(&page, "the page")
}

/// A new build (another build id in `sw.js`) installs a new service worker, whose cache
/// replaces the old one; the server tells browsers to revalidate `sw.js` every time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_build_replaces_the_cached_app() -> anyhow::Result<()> {
    browser::ensure_client_built()?;
    // A copy of the client that this test can "redeploy" without touching client/dist.
    let assets = tempfile::tempdir()?;
    copy_dir(&huddle_tests::server::assets_dir(), assets.path())?;
    let data = DataDir::new();
    let (mut child, addr, admin_key) = spawn_with_assets(data.path(), assets.path())?;
    http::register_admin(addr, &admin_key);
    let result = async {
        let created = http::post_json(
            addr,
            "/api/boards",
            &serde_json::json!({ "title": "redeploy", "id": "redeploy" }),
        )
        .await?;
        ensure!(created.status == 201, "create: {}", created.body);
        let sw = http::get(addr, "/sw.js").await?;
        ensure!(
            sw.status == 200 && sw.body.contains("const BUILD = \""),
            "GET /sw.js: {} {}",
            sw.status,
            sw.body.chars().take(200).collect::<String>()
        );
        let browser = Browser::launch().await?;
        let page = open_board(
            &browser,
            &format!("http://{addr}/b/redeploy?key={admin_key}"),
        )
        .await?;
        let before = page.eval("caches.keys()").await?;
        ensure!(
            before.as_array().map(Vec::len) == Some(1),
            "caches: {before}"
        );

        let script = std::fs::read_to_string(assets.path().join("sw.js"))?;
        let start = script.find("const BUILD = \"").context("no build id")? + 15;
        let old = &script[start..start + 16];
        std::fs::write(
            assets.path().join("sw.js"),
            script.replace(old, "0123456789abcdef"),
        )?;
        page.eval(
            "navigator.serviceWorker.getRegistration().then(r => r.update()).then(() => true)",
        )
        .await?;
        wait(
            &page,
            "the new build's cache to replace the old one",
            "caches.keys().then(k => k.length === 1 && k[0] === 'huddle-shell-0123456789abcdef')",
        )
        .await?;
        Ok(())
    }
    .await;
    let _ = child.kill();
    let _ = child.wait();
    result
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &dest)?;
        } else {
            std::fs::copy(entry.path(), dest)?;
        }
    }
    Ok(())
}

/// `huddle serve` on 127.0.0.1:0 with its own `--assets` (the shared helpers use
/// `HUDDLE_ASSETS`, process-wide); its address and admin key.
fn spawn_with_assets(
    data: &std::path::Path,
    assets: &std::path::Path,
) -> anyhow::Result<(std::process::Child, std::net::SocketAddr, String)> {
    let mut command = std::process::Command::new(huddle_tests::server::huddle_bin());
    command
        .args(["serve", "--addr", "127.0.0.1:0", "--data"])
        .arg(data)
        .arg("--assets")
        .arg(assets);
    let key = std::sync::Arc::new(std::sync::Mutex::new(None));
    let seen = key.clone();
    let (child, addr) = huddle_tests::server::spawn_until_listening(
        command,
        "huddle",
        std::time::Duration::from_secs(20),
        |line| {
            line.strip_prefix("huddle listening on http://")?
                .parse()
                .ok()
        },
        move |line| {
            if let Some(k) = huddle_tests::server::admin_key_in(line) {
                *seen.lock().unwrap_or_else(|e| e.into_inner()) = Some(k.to_owned());
            }
        },
    )?;
    let key = key.lock().unwrap_or_else(|e| e.into_inner()).take();
    Ok((child, addr, key.context("no admin link printed")?))
}
