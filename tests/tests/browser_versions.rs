//! A version opened read-only in a real browser (issue 14): `/b/{id}?version=...` shows the
//! version's items with a banner, and nothing the person does edits it (not in the page,
//! not on the server); the History panel (`H`) lists the board's versions; the owner restores
//! one from it, everyone gets it, and Ctrl+Z undoes the restore.

use std::time::Duration;

use anyhow::{Context, ensure};
use huddle_shared::model::NewNote;
use huddle_tests::browser;
use huddle_tests::client::Client;
use huddle_tests::http;
use huddle_tests::person::Person;
use huddle_tests::server::TestServer;
use serde_json::{Value, json};

fn note(text: &str, x: f64) -> NewNote {
    NewNote {
        pos: [x, 10.0],
        text: text.to_owned(),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_opened_read_only_cannot_be_edited() -> anyhow::Result<()> {
    browser::ensure_client_built()?;
    let (server, _data) = TestServer::start()?;
    let (board, writer, a, version) = two_notes_and_a_version(&server, "Read only").await?;
    // Later the live board loses a note.
    writer.edit(|b, txn| b.delete_item(txn, &a))?;
    writer.save().await?;

    // The owner (the admin) opens the board, then the version.
    let owner = Person::join("owner", &server, &board).await?;
    owner
        .page
        .goto(&server.http_url(&format!("/b/{board}?version={version}")))
        .await?;
    owner
        .wait(
            "the version's banner",
            "document.querySelector('#version-banner .banner-title')?.textContent.includes('read-only')",
        )
        .await?;
    owner
        .wait(
            "the version's two notes",
            "Object.keys(huddle.snapshot().items).length === 2",
        )
        .await?;
    let title = owner
        .page
        .eval("document.querySelector('#version-banner .banner-title').textContent")
        .await?;
    ensure!(
        title.as_str().is_some_and(|t| t.contains("Two notes")),
        "banner: {title}"
    );
    ensure!(
        owner
            .page
            .eval("!!document.querySelector('#version-banner [data-action=restore]')")
            .await?
            == Value::Bool(true),
        "the owner is offered Restore"
    );

    // Double-click, N, Delete on a selected note: nothing changes.
    let empty = owner.canvas_point(150.0, 150.0).await?;
    owner.page.double_click_at(empty).await?;
    owner.page.press("n", 0).await?;
    let second = owner
        .item_center(&first_id(&owner, "second").await?)
        .await?;
    owner.page.click_at(second, 0).await?;
    owner.page.press("Delete", 0).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    ensure!(
        owner.items().await?.len() == 2,
        "the read-only version changed: {}",
        owner.describe().await
    );
    ensure!(owner.page.eval("huddle.editing()").await? == Value::Null);
    // The live board on the server is as it was: one note.
    let res = http::get(server.addr(), &format!("/api/boards/{board}/export.json")).await?;
    let live = res.json()?;
    ensure!(
        live["items"].as_object().map(|o| o.len()) == Some(1),
        "server: {live}"
    );
    ensure!(writer.snapshot().items.len() == 1);

    // H opens the History panel, which lists the version.
    owner.page.press("h", 0).await?;
    owner
        .wait(
            "the history panel's list",
            &format!(
                "document.querySelectorAll('#versions-panel li.version[data-version=\"{version}\"]').length === 1"
            ),
        )
        .await?;
    owner.assert_no_errors()?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_restores_from_history_and_ctrl_z_undoes_it() -> anyhow::Result<()> {
    browser::ensure_client_built()?;
    let (server, _data) = TestServer::start()?;
    let (board, writer, a, version) = two_notes_and_a_version(&server, "Restore").await?;
    // Later: "first" deleted, "third" added.
    writer.edit(|b, txn| b.delete_item(txn, &a))?;
    writer.edit(|b, txn| b.create_note(txn, note("third", 400.0)))?;
    writer.save().await?;

    let owner = Person::join("owner", &server, &board).await?;
    let texts = |want: &[&str]| {
        let mut want: Vec<String> = want.iter().map(|t| format!("\"{t}\"")).collect();
        want.sort();
        format!(
            "JSON.stringify(Object.values(huddle.snapshot().items).map(i => i.text).sort()) \
             === '[{}]'",
            want.join(",")
        )
    };
    owner
        .wait("the live board", &texts(&["second", "third"]))
        .await?;
    // The page asks before restoring; this person says yes.
    owner.page.eval("window.confirm = () => true").await?;
    owner.page.press("h", 0).await?;
    let button =
        format!("#versions-panel li.version[data-version=\"{version}\"] [data-action=restore]");
    owner
        .wait(
            "the version's Restore button",
            &format!("!!document.querySelector('{button}')"),
        )
        .await?;
    owner.page.click(&button).await?;
    owner
        .wait("the restored board", &texts(&["first", "second"]))
        .await?;
    owner
        .wait(
            "the offer to undo",
            "!!document.querySelector('#undo-restore')",
        )
        .await?;
    // Every connected client gets the restore, as a change of the board.
    let has = |s: &huddle_shared::model::BoardSnapshot, text: &str| {
        s.items.values().any(|i| i.text == text)
    };
    writer
        .wait_until(|s| has(s, "first") && !has(s, "third"))
        .await
        .context("the other client gets the restore")?;

    // Ctrl+Z right after brings the later state back, for everyone.
    let canvas = owner.canvas_point(10.0, 10.0).await?;
    owner.page.mouse_move(canvas).await?;
    owner.page.press("z", browser::modifiers::CTRL).await?;
    owner
        .wait(
            "the board as it was before the restore",
            &texts(&["second", "third"]),
        )
        .await?;
    writer
        .wait_until(|s| !has(s, "first") && has(s, "third"))
        .await
        .context("the other client gets the undo")?;
    owner.assert_no_errors()?;
    Ok(())
}

/// A board titled `title` with notes "first" and "second", saved, and a version of it named
/// "Two notes": (board, its writer, the id of "first", the version's id).
async fn two_notes_and_a_version(
    server: &TestServer,
    title: &str,
) -> anyhow::Result<(String, Client, String, u64)> {
    let board = http::create_board(server.addr(), title).await?;
    let writer = Client::join(&server.ws_url(&board)).await?;
    let first = writer.edit(|b, txn| b.create_note(txn, note("first", 0.0)))?;
    writer.edit(|b, txn| b.create_note(txn, note("second", 200.0)))?;
    writer.save().await?;
    let res = http::post_json(
        server.addr(),
        &format!("/api/boards/{board}/versions"),
        &json!({ "name": "Two notes" }),
    )
    .await?;
    ensure!(res.status == 201, "save: {} {}", res.status, res.body);
    let version = res.json()?["id"].as_u64().context("id")?;
    Ok((board, writer, first, version))
}

/// The id of the note whose text is `text` in the page.
async fn first_id(person: &Person, text: &str) -> anyhow::Result<String> {
    let items = person.items().await?;
    items
        .iter()
        .find(|(_, v)| v["text"] == text)
        .map(|(id, _)| id.clone())
        .with_context(|| format!("no note {text:?} in {items:?}"))
}
