//! Version history on the wire (issue 14): versions taken over simulated hours (the server's
//! test clock), retention, a restore that every connected client gets and that is on disk,
//! its undo, and who may do what. Raw HTTP and WebSocket clients: the rules are the
//! server's, whatever a page does.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use huddle_shared::model::{BoardSnapshot, NewNote};
use huddle_tests::client::WAIT;
use huddle_tests::http;
use huddle_tests::server::{DataDir, TestServer};
use huddle_tests::visitor::Visitor;
use serde_json::{Value, json};

const MIN: u64 = 60 * 1000;
const HOUR: u64 = 60 * MIN;
const DAY: u64 = 24 * HOUR;

/// A test server whose version clock the test moves, and whose rooms unload a second after
/// the last person leaves (the end of a session).
fn start(data: &DataDir) -> anyhow::Result<TestServer> {
    TestServer::start_on(data.path(), &["--test-clock", "--idle-unload-secs", "1"])
}

async fn advance(server: &TestServer, ms: u64) -> anyhow::Result<()> {
    let res = http::post_json(
        server.addr(),
        "/api/test/clock",
        &json!({ "advance_ms": ms }),
    )
    .await?;
    ensure!(res.status == 200, "clock: {} {}", res.status, res.body);
    Ok(())
}

/// The board's versions, newest first, as `who` lists them.
async fn versions(who: &Visitor, board: &str) -> anyhow::Result<Vec<Value>> {
    let res = who
        .call("GET", &format!("/api/boards/{board}/versions"), None)
        .await?;
    ensure!(res.status == 200, "list: {} {}", res.status, res.body);
    Ok(res.json()?.as_array().context("a list")?.clone())
}

/// Waits until the board has `n` versions (they are stored a moment after they are due).
async fn wait_versions(who: &Visitor, board: &str, n: usize) -> anyhow::Result<Vec<Value>> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let list = versions(who, board).await?;
        if list.len() == n {
            return Ok(list);
        }
        if tokio::time::Instant::now() > deadline {
            bail!(
                "waited for {n} versions; there are {}: {list:#?}",
                list.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn kinds(list: &[Value]) -> Vec<&str> {
    list.iter()
        .map(|v| v["kind"].as_str().unwrap_or("?"))
        .collect()
}

fn summary(v: &Value) -> (u64, u64, u64) {
    let s = &v["summary"];
    let n = |k: &str| s[k].as_u64().unwrap_or(u64::MAX);
    (n("added"), n("changed"), n("removed"))
}

fn author_ids(v: &Value) -> BTreeSet<String> {
    v["authors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn note(text: &str, x: f64) -> NewNote {
    NewNote {
        pos: [x, 10.0],
        text: text.to_owned(),
        ..Default::default()
    }
}

fn texts(board: &BoardSnapshot) -> BTreeSet<String> {
    board.items.values().map(|i| i.text.clone()).collect()
}

fn set(texts: &[&str]) -> BTreeSet<String> {
    texts.iter().map(|t| t.to_string()).collect()
}

/// Waits until the server's room is gone (the session ended) by watching `/metrics`.
async fn wait_unloaded(server: &TestServer) -> anyhow::Result<()> {
    http::wait_metric(server.addr(), "huddle_rooms_loaded", |n| n == 0.0)
        .await
        .map(drop)
}

/// Versions taken over five simulated hours and a month: hourly while edited (and only
/// then), named on demand, one at the end of the session; the summaries and authors say
/// what changed and who changed it; retention prunes the old automatic ones, keeps named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_edited_over_simulated_hours_has_the_expected_versions() -> anyhow::Result<()> {
    let data = DataDir::new();
    let server = start(&data)?;
    let ann = Visitor::arrive(&server).await?;
    let board = ann.create_board("Hours").await?;
    let client = ann.join(&board, None).await?;

    // Hour 0: two notes; half an hour later a third.
    let a = client.edit(|b, txn| b.create_note(txn, note("a", 0.0)))?;
    client.edit(|b, txn| b.create_note(txn, note("b", 100.0)))?;
    client.save().await?;
    advance(&server, 30 * MIN).await?;
    client.edit(|b, txn| b.create_note(txn, note("c", 200.0)))?;
    client.save().await?;
    // An hour after the first edit: the hourly version, with all three.
    advance(&server, 31 * MIN).await?;
    let list = wait_versions(&ann, &board, 1).await?;
    ensure!(kinds(&list) == ["hourly"], "{list:#?}");
    ensure!(summary(&list[0]) == (3, 0, 0), "{list:#?}");
    ensure!(author_ids(&list[0]) == set(&[&ann.id]), "{list:#?}");
    ensure!(list[0]["items"] == 3, "{list:#?}");

    // An hour with no edits takes no version (a few ticks pass before the next request).
    advance(&server, HOUR).await?;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let res = ann
        .call(
            "POST",
            &format!("/api/boards/{board}/versions"),
            Some(json!({ "name": "Before the workshop" })),
        )
        .await?;
    ensure!(res.status == 201, "save: {} {}", res.status, res.body);
    let list = versions(&ann, &board).await?;
    ensure!(kinds(&list) == ["named", "hourly"], "{list:#?}");
    ensure!(list[0]["name"] == "Before the workshop", "{list:#?}");
    ensure!(summary(&list[0]) == (0, 0, 0), "{list:#?}");

    // A bad name is refused with a reason.
    let res = ann
        .call(
            "POST",
            &format!("/api/boards/{board}/versions"),
            Some(json!({ "name": "   " })),
        )
        .await?;
    ensure!(
        res.status == 400 && res.body.contains("name"),
        "{}",
        res.body
    );

    // Edits, then everyone leaves: the end of the session is a version of its own.
    advance(&server, 20 * MIN).await?;
    client.edit(|b, txn| b.delete_item(txn, &a))?;
    client.edit(|b, txn| b.create_note(txn, note("d", 300.0)))?;
    client.save().await?;
    client.close().await;
    wait_unloaded(&server).await?;
    let list = wait_versions(&ann, &board, 3).await?;
    ensure!(
        kinds(&list) == ["session-end", "named", "hourly"],
        "{list:#?}"
    );
    ensure!(summary(&list[0]) == (1, 0, 1), "{list:#?}");

    // The hourly version still holds the board as it was then.
    let hourly = list[2]["id"].as_u64().context("id")?;
    let res = ann
        .call(
            "GET",
            &format!("/api/boards/{board}/versions/{hourly}"),
            None,
        )
        .await?;
    ensure!(res.status == 200, "open: {} {}", res.status, res.body);
    let opened: BoardSnapshot = serde_json::from_value(res.json()?["board"].clone())?;
    ensure!(texts(&opened) == set(&["a", "b", "c"]), "{opened:?}");

    // Nothing happens while nobody is there, however long.
    advance(&server, 5 * HOUR).await?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    ensure!(versions(&ann, &board).await?.len() == 3);

    // A month later the board opens again: the automatic versions older than 30 days go,
    // except the newest; the named one stays.
    advance(&server, 31 * DAY).await?;
    let again = ann.join(&board, None).await?;
    let list = wait_versions(&ann, &board, 2).await?;
    ensure!(kinds(&list) == ["session-end", "named"], "{list:#?}");
    again.close().await;
    Ok(())
}

/// Two people on the board (the owner and an editor): a restore brings back what was
/// deleted and removes what was added since, for both connections at once and on disk (a
/// `kill -9` and a restart); the editor may not restore; restoring the "before restore"
/// version undoes it; a copy of a version is a new board its maker owns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_reaches_everyone_and_the_disk_and_its_undo_brings_the_later_state_back()
-> anyhow::Result<()> {
    let data = DataDir::new();
    let mut server = start(&data)?;
    let mut ann = Visitor::arrive(&server).await?;
    let mut bob = Visitor::arrive(&server).await?;
    let board = ann.create_board("Restore").await?;
    let res = ann
        .call(
            "PUT",
            &format!("/api/boards/{board}/people/{}", bob.id),
            Some(json!({ "role": "editor" })),
        )
        .await?;
    ensure!(res.status == 200, "grant: {} {}", res.status, res.body);
    let ann_ws = ann.join(&board, None).await?;
    let bob_ws = bob.join(&board, None).await?;

    let x = ann_ws.edit(|b, txn| b.create_note(txn, note("x", 0.0)))?;
    ann_ws.edit(|b, txn| b.create_note(txn, note("y", 100.0)))?;
    ann_ws.save().await?;
    bob_ws.wait_until(|s| s.items.len() == 2).await?;
    let res = ann
        .call(
            "POST",
            &format!("/api/boards/{board}/versions"),
            Some(json!({ "name": "Good" })),
        )
        .await?;
    ensure!(res.status == 201, "save: {} {}", res.status, res.body);
    let good = res.json()?["id"].as_u64().context("id")?;

    // Later: Bob deletes x and adds z.
    bob_ws.edit(|b, txn| b.delete_item(txn, &x))?;
    bob_ws.edit(|b, txn| b.create_note(txn, note("z", 200.0)))?;
    bob_ws.save().await?;
    ann_ws.wait_until(|s| texts(s) == set(&["y", "z"])).await?;

    // Bob is an editor: no restore for him (refused by the server, nothing changes).
    let res = bob
        .call(
            "POST",
            &format!("/api/boards/{board}/versions/{good}/restore"),
            None,
        )
        .await?;
    ensure!(
        res.status == 403,
        "editor restore: {} {}",
        res.status,
        res.body
    );
    let res = ann
        .call(
            "POST",
            &format!("/api/boards/{board}/versions/999/restore"),
            None,
        )
        .await?;
    ensure!(
        res.status == 404,
        "no such version: {} {}",
        res.status,
        res.body
    );

    // Ann restores "Good": both connections see x back and z gone.
    let res = ann
        .call(
            "POST",
            &format!("/api/boards/{board}/versions/{good}/restore"),
            None,
        )
        .await?;
    ensure!(res.status == 200, "restore: {} {}", res.status, res.body);
    let restored = res.json()?;
    ensure!(
        restored["deleted"] == 1 && restored["written"] == 1,
        "{restored}"
    );
    let undo = restored["before_restore"]["id"].as_u64().context("id")?;
    ensure!(
        restored["before_restore"]["kind"] == "before-restore",
        "{restored}"
    );
    for ws in [&ann_ws, &bob_ws] {
        ws.wait_until(|s| texts(s) == set(&["x", "y"])).await?;
    }
    ensure!(
        bob_ws.snapshot().items.contains_key(&x),
        "x has its own id again"
    );

    // On disk: the server dies without a chance to flush, and comes back with it.
    ann_ws.abort();
    bob_ws.abort();
    server.restart()?;
    ann.come_back(&server);
    bob.come_back(&server);
    let res = ann
        .call("GET", &format!("/api/boards/{board}/export.json"), None)
        .await?;
    ensure!(res.status == 200, "export: {} {}", res.status, res.body);
    let on_disk: BoardSnapshot = serde_json::from_str(&res.body)?;
    ensure!(texts(&on_disk) == set(&["x", "y"]), "{on_disk:?}");

    // Undo: restoring the version taken just before brings the later state back.
    let ann_ws = ann.join(&board, None).await?;
    let bob_ws = bob.join(&board, None).await?;
    let res = ann
        .call(
            "POST",
            &format!("/api/boards/{board}/versions/{undo}/restore"),
            None,
        )
        .await?;
    ensure!(res.status == 200, "undo: {} {}", res.status, res.body);
    for ws in [&ann_ws, &bob_ws] {
        ws.wait_until(|s| texts(s) == set(&["y", "z"])).await?;
    }
    let list = versions(&bob, &board).await?;
    ensure!(
        kinds(&list) == ["before-restore", "before-restore", "named"],
        "{list:#?}"
    );

    // A copy of "Good" is a new board, Bob's.
    let res = bob
        .call(
            "POST",
            &format!("/api/boards/{board}/versions/{good}/copy"),
            Some(json!({ "title": "Good, again" })),
        )
        .await?;
    ensure!(res.status == 201, "copy: {} {}", res.status, res.body);
    let copy = res.json()?;
    ensure!(
        copy["role"] == "owner" && copy["title"] == "Good, again",
        "{copy}"
    );
    let copy_id = copy["id"].as_str().context("id")?;
    let res = bob
        .call("GET", &format!("/api/boards/{copy_id}/export.json"), None)
        .await?;
    let copied: BoardSnapshot = serde_json::from_str(&res.body)?;
    ensure!(texts(&copied) == set(&["x", "y"]), "{copied:?}");
    // The original is untouched by the copy.
    ann_ws.wait_until(|s| texts(s) == set(&["y", "z"])).await?;
    Ok(())
}

/// Who may see versions: anyone with a role lists and opens them; a stranger gets 404, as
/// for the board itself; a viewer may not save one; the test clock is not there on a
/// server started without `--test-clock`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_follow_the_board_roles() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let ann = Visitor::arrive(&server).await?;
    let eve = Visitor::arrive(&server).await?;
    let vic = Visitor::arrive(&server).await?;
    let board = ann.create_board("Roles").await?;
    let res = ann
        .call(
            "PUT",
            &format!("/api/boards/{board}/people/{}", vic.id),
            Some(json!({ "role": "viewer" })),
        )
        .await?;
    ensure!(res.status == 200, "grant: {} {}", res.status, res.body);
    let path = format!("/api/boards/{board}/versions");
    let res = ann
        .call("POST", &path, Some(json!({ "name": "v1" })))
        .await?;
    ensure!(res.status == 201, "save: {} {}", res.status, res.body);
    let v1 = res.json()?["id"].as_u64().context("id")?;

    ensure!(versions(&vic, &board).await?.len() == 1);
    let res = vic.call("GET", &format!("{path}/{v1}"), None).await?;
    ensure!(res.status == 200, "open: {} {}", res.status, res.body);
    let res = vic
        .call("POST", &path, Some(json!({ "name": "mine" })))
        .await?;
    ensure!(
        res.status == 403,
        "viewer save: {} {}",
        res.status,
        res.body
    );
    let res = vic
        .call("POST", &format!("{path}/{v1}/restore"), None)
        .await?;
    ensure!(
        res.status == 403,
        "viewer restore: {} {}",
        res.status,
        res.body
    );
    for call in [("GET", path.clone()), ("GET", format!("{path}/{v1}"))] {
        let res = eve.call(call.0, &call.1, None).await?;
        ensure!(
            res.status == 404,
            "stranger {}: {} {}",
            call.1,
            res.status,
            res.body
        );
    }
    let res = eve.call("POST", &format!("{path}/{v1}/copy"), None).await?;
    ensure!(
        res.status == 404,
        "stranger copy: {} {}",
        res.status,
        res.body
    );
    let res = http::post_json(
        server.addr(),
        "/api/test/clock",
        &json!({ "advance_ms": 1 }),
    )
    .await?;
    ensure!(res.status == 404, "clock on a real server: {}", res.status);
    Ok(())
}
