//! Upgrading to people and roles (issue 11), and the admin link: a data directory written
//! before people existed opens with every board in it, each the admin's alone until the admin
//! hands it to someone; the admin link is printed once, `huddle admin-link` prints it again,
//! and `--rotate` replaces it.

use std::sync::Arc;

use anyhow::{Context, ensure};
use huddle_server::metrics::Metrics;
use huddle_server::store::{BoardMeta, Store};
use huddle_shared::model::{Board, NewNote};
use huddle_tests::http;
use huddle_tests::server::{DataDir, TestServer, admin_link_key, huddle_bin, spawn_huddle};
use huddle_tests::visitor::{Visitor, key_of};
use serde_json::json;
use yrs::{ReadTxn, StateVector, Transact};

/// A board's first update: a title and `notes` notes.
fn board_update(title: &str, notes: &[&str]) -> Vec<u8> {
    let board = Board::new();
    {
        let mut txn = board.transact_mut();
        board.init_meta(&mut txn, title, 0.0);
        for text in notes {
            let note = NewNote {
                text: (*text).to_owned(),
                ..NewNote::default()
            };
            board.create_note(&mut txn, note).expect("a valid note");
        }
    }
    board
        .doc()
        .transact()
        .encode_state_as_update_v1(&StateVector::default())
}

/// A data directory as the previous release left it: boards (meta, log, one compacted into a
/// snapshot), written by the store's own board writer, and no access data at all.
fn previous_release_data(data: &std::path::Path) -> anyhow::Result<()> {
    let store = Store::open(data, Arc::new(Metrics::default()))?;
    let meta = |title: &str| BoardMeta {
        title: title.to_owned(),
        created_at: 1,
        updated_at: 2,
    };
    store.insert_board(
        "sprint-41",
        &meta("Sprint 41"),
        &board_update("Sprint 41", &["login", "search"]),
    )?;
    store.insert_board(
        "retro",
        &meta("Retro"),
        &board_update("Retro", &["went well"]),
    )?;
    store.append("retro", 1, &board_update("", &["to improve"]))?;
    store.compact("retro", 1)?;
    store.flush_blocking()?;
    ensure!(
        store.admin_key()?.is_none(),
        "the old release had no admin key"
    );
    Ok(())
}

async fn notes(server: &TestServer, board: &str) -> anyhow::Result<Vec<String>> {
    let res = http::get(server.addr(), &format!("/api/boards/{board}/export.json")).await?;
    ensure!(
        res.status == 200,
        "export {board}: {} {}",
        res.status,
        res.body
    );
    let snapshot: huddle_shared::model::BoardSnapshot = serde_json::from_str(&res.body)?;
    let mut texts: Vec<String> = snapshot.items.values().map(|i| i.text.clone()).collect();
    texts.sort();
    Ok(texts)
}

/// Test 6: every board of the previous release is there, the admin's alone; the admin hands
/// one to someone through a share link and a role change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boards_from_before_people_belong_to_the_admin() -> anyhow::Result<()> {
    let data = DataDir::new();
    previous_release_data(data.path())?;

    // The first start on it makes the admin key and prints the link once.
    let (mut child, _, printed) = spawn_huddle(&[], data.path(), &[])?;
    let printed = printed.context("no admin link printed on the first start after the upgrade")?;
    child.kill()?;
    child.wait()?;
    let server = TestServer::start_on(data.path(), &[])?;
    ensure!(
        server.admin_key() == printed,
        "admin-link printed another key"
    );

    let listed = http::get(server.addr(), "/api/boards").await?.json()?;
    let mut titles: Vec<&str> = listed
        .as_array()
        .context("list")?
        .iter()
        .filter_map(|b| b["title"].as_str())
        .collect();
    titles.sort();
    ensure!(titles == ["Retro", "Sprint 41"], "the admin lists {listed}");
    ensure!(notes(&server, "sprint-41").await? == ["login", "search"]);
    ensure!(notes(&server, "retro").await? == ["to improve", "went well"]);

    // Nobody else sees them.
    let ana = Visitor::arrive(&server).await?;
    ensure!(ana.call("GET", "/api/boards", None).await?.json()? == json!([]));
    for board in ["sprint-41", "retro"] {
        let res = ana
            .call("GET", &format!("/api/boards/{board}"), None)
            .await?;
        ensure!(res.status == 404, "{board} is visible: {}", res.body);
        ensure!(ana.connect(board, None).await.is_err(), "{board} opened");
    }

    // The admin hands one over: Ana opens its editor link, the admin makes her owner.
    let access = http::get(server.addr(), "/api/boards/sprint-41/access")
        .await?
        .json()?;
    let editor_link = access["links"]["editor"].as_str().context("link")?;
    ana.open_link(editor_link).await?;
    let res = http::request(
        server.addr(),
        "PUT",
        &format!("/api/boards/sprint-41/people/{}", ana.id),
        Some(json!({"role": "owner"}).to_string()),
    )
    .await?;
    ensure!(res.status == 200, "hand over: {} {}", res.status, res.body);
    let hers = ana.call("GET", "/api/boards", None).await?.json()?;
    ensure!(
        hers == json!([{"id": "sprint-41", "title": "Sprint 41", "created_at": 1, "updated_at": 2, "role": "owner"}]),
        "{hers}"
    );
    let res = ana
        .call("GET", "/api/boards/sprint-41/access", None)
        .await?;
    ensure!(
        res.status == 200,
        "the new owner cannot share: {}",
        res.body
    );
    let res = ana.call("GET", "/api/boards/retro", None).await?;
    ensure!(
        res.status == 404,
        "the other board came along: {}",
        res.body
    );
    Ok(())
}

/// The admin link makes a browser the admin (a wrong key is a 404); `huddle admin-link
/// --rotate` makes a new key, after which the old one opens nothing and its admins are not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_link_and_its_rotation() -> anyhow::Result<()> {
    let data = DataDir::new();
    let mut server = TestServer::start_on(data.path(), &[])?;
    let owner = Visitor::arrive(&server).await?;
    let board = owner.create_board("Someone's").await?;
    let mut ana = Visitor::arrive(&server).await?;

    let wrong = ana
        .open_link(&format!("/admin?key={}", "x".repeat(43)))
        .await?;
    ensure!(wrong.status == 404, "a wrong admin key: {}", wrong.status);
    let right = ana
        .open_link(&format!("/admin?key={}", server.admin_key()))
        .await?;
    ensure!(
        right.status == 303 && right.header("location") == Some("/"),
        "the admin link: {} {:?}",
        right.status,
        right.header("location")
    );
    let me = ana.call("GET", "/api/me", None).await?.json()?;
    ensure!(me["admin"] == true, "{me}");
    let res = ana
        .call("GET", &format!("/api/boards/{board}"), None)
        .await?;
    ensure!(
        res.status == 200 && res.json()?["role"] == "owner",
        "{}",
        res.body
    );

    // Rotate (the server must be stopped: sled allows one process).
    let old = server.admin_key().to_owned();
    ensure!(server.stop()? == 0);
    let out = std::process::Command::new(huddle_bin())
        .args([
            "admin-link",
            "--rotate",
            "--url",
            "https://huddle.example.com",
            "--data",
        ])
        .arg(data.path())
        .output()?;
    let line = String::from_utf8(out.stdout)?;
    ensure!(out.status.success(), "admin-link --rotate: {line}");
    ensure!(
        line.starts_with("https://huddle.example.com/admin?key="),
        "{line}"
    );
    let new = key_of(line.trim().replace("/admin?", "/b/x?").as_str())?.to_owned();
    ensure!(new != old, "the key did not change");
    ensure!(
        admin_link_key(data.path())? == new,
        "admin-link does not print the new key"
    );

    let server = TestServer::start_on(data.path(), &[])?;
    ensure!(
        server.admin_key() == new,
        "the restarted server has another key"
    );
    ana.come_back(&server);
    let res = http::request_as(
        server.addr(),
        "GET",
        "/api/boards",
        None,
        &[("Authorization", &format!("Bearer {old}"))],
    )
    .await?;
    ensure!(
        res.json()? == json!([]),
        "the old key still sees everything: {}",
        res.body
    );
    let me = ana.call("GET", "/api/me", None).await?.json()?;
    ensure!(me["admin"] == false, "still admin after the rotation: {me}");
    let res = ana
        .call("GET", &format!("/api/boards/{board}"), None)
        .await?;
    ensure!(res.status == 404, "{}", res.body);
    Ok(())
}

#[test]
fn the_old_data_has_a_readable_board() -> anyhow::Result<()> {
    // The helper itself: what it writes reads back as boards (so the test above tests an
    // upgrade, not an empty directory).
    let data = DataDir::new();
    previous_release_data(data.path())?;
    let store = Store::open(data.path(), Arc::new(Metrics::default()))?;
    let boards = store.list_boards()?;
    ensure!(boards.len() == 2, "{boards:?}");
    let snapshot = store.load_snapshot("retro")?;
    ensure!(snapshot.items.len() == 2, "{snapshot:?}");
    let doc = store.load("sprint-41")?.1;
    ensure!(doc.transact().state_vector().len() == 1);
    Ok(())
}
