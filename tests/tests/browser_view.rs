//! The board's first view in real headless Chromium: a big board is drawn from the server's
//! view of its items before its document is synced, then the document takes over and edits
//! work as ever.
//!
//! Needs the built client and Chromium: `cargo xtask test` provides both (or
//! `cargo xtask build-client && cargo build -p huddle-server`, with `/usr/bin/chromium`).

use anyhow::{Context, ensure};
use huddle_shared::model::NewNote;
use huddle_tests::browser;
use huddle_tests::client::Client;
use huddle_tests::person::Person;
use huddle_tests::server::TestServer;

/// Notes on the board: more than the page's threshold for using a view (smaller boards sync
/// about as fast as the view comes).
const NOTES: usize = 3_000;
/// Notes per row of the board's grid, and the grid's pitch.
const ROW: usize = 60;
const PITCH: f64 = 220.0;

/// A big board is first drawn from its view (asked for by `boot.js` before the app starts;
/// every note in the scene in the first complete frame, the `huddle-view` mark set),
/// read-only until the document is synced; then the document holds every note, the page is
/// editable, and a note made by double-click and typed into reaches another replica.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_big_board_draws_from_its_view_then_edits_after_sync() -> anyhow::Result<()> {
    browser::ensure_client_built()?;
    let (server, _data) = TestServer::start()?;
    let board = "big-view";
    let rust = Client::join(&server.ws_url(board)).await?;
    rust.edit(|b, txn| {
        for i in 0..NOTES {
            let pos = [(i % ROW) as f64 * PITCH, (i / ROW) as f64 * PITCH];
            let text = format!("note {i}");
            b.create_note(
                txn,
                NewNote {
                    pos,
                    text,
                    ..NewNote::default()
                },
            )
            .expect("a valid note");
        }
    });
    rust.save().await?;

    let ada = Person::join("Ada", &server, board).await?;
    ada.wait(
        "the first complete frame",
        "huddle.frames().firstCompleteAt",
    )
    .await?;
    let drawn = ada.page.eval("huddle.frames().firstCompleteItems").await?;
    ensure!(
        drawn == NOTES,
        "the first complete frame had {drawn} of {NOTES} notes"
    );
    let viewed = ada
        .page
        .eval("performance.getEntriesByName('huddle-view').length")
        .await?;
    ensure!(viewed == 1, "the page did not draw the board's view first");
    // Asked for once, by boot.js, before the app had started.
    let asked = ada
        .page
        .eval(
            "(() => { const asked = performance.getEntriesByType('resource') \
                .filter(r => r.name.includes('/view?format=binary')); \
              return [asked.length, asked[0]?.startTime < \
                performance.getEntriesByName('huddle-start')[0]?.startTime]; })()",
        )
        .await?;
    ensure!(
        asked == serde_json::json!([1, true]),
        "the view was not asked for once, before the app started: {asked}"
    );
    // The page says it is drawn (boot.js registers the service worker then), once.
    let ready = ada
        .page
        .eval(
            "(() => { const ready = performance.getEntriesByName('huddle-ready'); \
              return [ready.length, ready[0]?.startTime >= huddle.frames().firstCompleteAt]; })()",
        )
        .await?;
    ensure!(
        ready == serde_json::json!([1, true]),
        "'huddle-ready' was not marked once, at the first complete frame: {ready}"
    );
    // The panels built after the first frame are there once the page is connected.
    let panels = ada
        .page
        .eval(
            "['#story-panel', '#lock-bar', '#since-panel', '#map-filter'] \
                .filter(p => !document.querySelector(p))",
        )
        .await?;
    ensure!(
        panels == serde_json::json!([]),
        "panels missing once connected: {panels}"
    );
    ada.wait(
        "the document to hold every note",
        &format!("Object.keys(huddle.snapshot().items).length === {NOTES}"),
    )
    .await?;
    ada.wait(
        "the page to be editable",
        "!document.querySelector('.board-page').classList.contains('read-only')",
    )
    .await?;

    // Left of the grid's first column, where no note is.
    ada.page.eval("huddle.setCamera(0, 0, 1)").await?;
    let at = ada.to_client([-150.0, 100.0]).await?;
    let id = ada.create_note(at).await?;
    ada.type_text("after sync").await?;
    ada.end_edit().await?;
    rust.wait_until(|s| s.items.get(&id).is_some_and(|i| i.text == "after sync"))
        .await
        .context("the note made after sync never reached the other replica")?;

    // An edit the server has not had, kept only in the browser's copy, then a reload that
    // draws the server's view (without the edit) first: the copy is applied after the view,
    // and the edit is on the page and then on the server; nothing is lost.
    ada.page.block_websockets(true).await?;
    ada.wait(
        "the page to see it is offline",
        "document.querySelector('#status')?.textContent === 'offline'",
    )
    .await?;
    ada.edit_note(&id).await?;
    ada.type_text(", offline").await?;
    ada.end_edit().await?;
    ada.wait(
        "the offline edit in the document",
        &format!("huddle.snapshot().items[{id:?}]?.text === 'after sync, offline'"),
    )
    .await?;
    let url = ada.page.eval("location.href").await?;
    ada.page.goto(url.as_str().context("no location")?).await?;
    ada.wait(
        "the reloaded page's first complete frame",
        "huddle.frames().firstCompleteAt",
    )
    .await?;
    ada.wait(
        "the offline edit restored",
        &format!("huddle.snapshot().items[{id:?}]?.text === 'after sync, offline'"),
    )
    .await?;
    let order = ada
        .page
        .eval(
            "[performance.getEntriesByName('huddle-view').length, \
              performance.getEntriesByName('huddle-restored').length]",
        )
        .await?;
    ensure!(
        order == serde_json::json!([1, 1]),
        "the reload drew the view and restored the copy: {order}"
    );
    ada.page.block_websockets(false).await?;
    rust.wait_until(|s| {
        s.items
            .get(&id)
            .is_some_and(|i| i.text == "after sync, offline")
    })
    .await
    .context("the offline edit never reached the server")?;
    ada.assert_no_errors()?;
    Ok(())
}
