//! The web client in real headless Chromium against the real server: the home page creates a
//! board; a Rust replica's edits show up in a tab. Each test starts its own server and browser.
//! The whiteboard itself (two people editing, offline, presence, undo) is `whiteboard.rs`.
//!
//! Needs the built client and Chromium: `cargo xtask test` provides both (or
//! `cargo xtask build-client && cargo build -p huddle-server`, with `/usr/bin/chromium`).

use anyhow::{Context, ensure};
use huddle_shared::model::NewNote;
use huddle_tests::browser::{self, Browser, Page};
use huddle_tests::client::{Client, WAIT};
use huddle_tests::http;
use huddle_tests::server::{DataDir, TestServer};
use serde_json::{Value, json};

/// What `#status` says once a tab is connected: `online` until its first save, then `saved`.
const CONNECTED: &str =
    "['online', 'saved'].includes(document.querySelector('#status')?.textContent)";

// ---- helpers --------------------------------------------------------------------------------

/// A server on a fresh data directory and a browser, both gone when the test ends.
async fn start() -> anyhow::Result<(TestServer, DataDir, Browser)> {
    browser::ensure_client_built()?;
    let (server, data) = TestServer::start()?;
    let browser = Browser::launch().await?;
    Ok((server, data, browser))
}

/// Opens `/b/{board}` in a new tab and waits until it is connected.
async fn open_board(browser: &Browser, server: &TestServer, board: &str) -> anyhow::Result<Page> {
    let page = browser.new_page(&server.page_url(board)).await?;
    wait(&page, "the board page to connect", CONNECTED).await?;
    Ok(page)
}

/// `page.wait_for` with [`WAIT`]; a timeout also reports what the page shows and logged.
async fn wait(page: &Page, what: &str, js: &str) -> anyhow::Result<Value> {
    match page.wait_for(js, WAIT).await {
        Ok(value) => Ok(value),
        Err(err) => Err(err.context(format!(
            "waiting for {what}; the page shows {}",
            describe(page).await
        ))),
    }
}

/// The page as a test sees it, for failure messages.
async fn describe(page: &Page) -> String {
    let shown = page
        .eval(
            "({
                path: location.pathname,
                status: document.querySelector('#status')?.textContent ?? null,
                items: window.huddle ? huddle.snapshot().items : null,
                app: document.querySelector('#app')?.innerText.slice(0, 300) ?? null,
            })",
        )
        .await
        .map_or_else(|e| format!("(unreadable: {e:#})"), |v| v.to_string());
    format!("{shown}; console: {:?}", page.console())
}

/// A predicate: the page's copy of note `id` holds exactly `text`.
fn shows_text(id: &str, text: &str) -> String {
    format!(
        "window.huddle?.snapshot().items[{}]?.text === {}",
        json!(id),
        json!(text)
    )
}

/// The ids of the items the page has.
async fn note_ids(page: &Page) -> anyhow::Result<Vec<String>> {
    let ids = page.eval("Object.keys(huddle.snapshot().items)").await?;
    Ok(serde_json::from_value(ids)?)
}

/// Nothing went to the console as an error and no exception went uncaught.
fn no_errors(page: &Page, which: &str) -> anyhow::Result<()> {
    let errors = page.errors();
    ensure!(errors.is_empty(), "{which} logged errors: {errors:#?}");
    Ok(())
}

// ---- tests ----------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_creates_a_board() -> anyhow::Result<()> {
    const TITLE: &str = "Sprint 42 · refinement ✓";
    let (server, _data, browser) = start().await?;
    let page = browser.new_page(&server.http_url("/")).await?;

    // The list loaded (empty on a fresh server) before the form is used.
    let listed = wait(
        &page,
        "the board list",
        "document.querySelector('#boards li')?.textContent",
    )
    .await?;
    ensure!(
        listed == "No boards yet.",
        "a fresh server lists {listed} on the home page"
    );

    page.type_into("#new-board-title", TITLE).await?;
    page.click("#new-board-submit").await?;
    let path = wait(
        &page,
        "the new board to open",
        "/^\\/b\\/[A-Za-z0-9_-]+$/.test(location.pathname) && location.pathname",
    )
    .await?;
    let id = path
        .as_str()
        .and_then(|p| p.strip_prefix("/b/"))
        .context("board path")?
        .to_owned();
    wait(&page, "the board page to connect", CONNECTED).await?;
    // The title comes from the server's document, so it also shows that the sync worked.
    wait(
        &page,
        "the board's title",
        &format!(
            "document.querySelector('#board-title')?.textContent === {}",
            json!(TITLE)
        ),
    )
    .await?;

    let boards = http::get(server.addr(), "/api/boards").await?.json()?;
    let listed = boards
        .as_array()
        .context("GET /api/boards is not a list")?
        .iter()
        .any(|b| b["id"] == id.as_str() && b["title"] == TITLE);
    ensure!(
        listed,
        "GET /api/boards does not list {id} {TITLE:?}: {boards}"
    );

    // The home page links to it now.
    page.goto(&server.http_url("/")).await?;
    let link = format!("#boards a[href=\"/b/{id}\"]");
    let text = wait(
        &page,
        "the link to the new board",
        &format!("document.querySelector({})?.textContent", json!(link)),
    )
    .await?;
    ensure!(text == TITLE, "the home page links to {id} as {text}");
    // And lists it among the boards opened in this browser.
    let recent = format!("#recent-boards a[href=\"/b/{id}\"]");
    let text = wait(
        &page,
        "the board among the recently opened",
        &format!("document.querySelector({})?.textContent", json!(recent)),
    )
    .await?;
    ensure!(text == TITLE, "the recent list shows {id} as {text}");
    no_errors(&page, "the home page")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_client_edits_show_in_the_page() -> anyhow::Result<()> {
    let (server, _data, browser) = start().await?;
    let board = http::create_board(server.addr(), "Rust and the page").await?;
    let page = open_board(&browser, &server, &board).await?;
    let rust = Client::join(&server.ws_url(&board)).await?;

    let id = rust.edit(|board, txn| {
        board.create_note(
            txn,
            NewNote {
                text: "from Rust".into(),
                author: "rust".into(),
                ..NewNote::default()
            },
        )
    })?;
    wait(
        &page,
        "the Rust client's note",
        &shows_text(&id, "from Rust"),
    )
    .await?;

    // One transaction that inserts in two places.
    rust.edit(|board, txn| {
        board.insert_text(txn, &id, 9, "!")?;
        board.insert_text(txn, &id, 0, "Hello, ")
    })?;
    wait(
        &page,
        "the Rust client's inserts",
        &shows_text(&id, "Hello, from Rust!"),
    )
    .await?;

    rust.edit(|board, txn| board.delete_text(txn, &id, 0, 7))?;
    wait(
        &page,
        "the Rust client's delete",
        &shows_text(&id, "from Rust!"),
    )
    .await?;

    let ids = note_ids(&page).await?;
    ensure!(
        ids == [id.clone()],
        "the page lists notes {ids:?}, not just {id}"
    );
    no_errors(&page, "the page")
}
