//! The HTTP API against the real server: create, list, show, export and delete boards,
//! id and body validation, health and metrics, and boards created by a first WebSocket.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use huddle_shared::model::{BoardSnapshot, NewNote};
use huddle_tests::client::Client;
use huddle_tests::http::{self, Response};
use huddle_tests::server::{DataDir, TestServer};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite;
use yrs::Transact;

/// Close code of connections to a board that was deleted (`server/src/outbox.rs`).
const CLOSE_BOARD_DELETED: u16 = 4404;

const TITLE: &str = "Sprint 42";

// ---- helpers --------------------------------------------------------------------------------

async fn create_board(server: &TestServer, title: &str) -> anyhow::Result<String> {
    let res = http::post_json(server.addr(), "/api/boards", &json!({ "title": title })).await?;
    ensure!(
        res.status == 201,
        "create answered {}: {}",
        res.status,
        res.body
    );
    let body = res.json()?;
    let id = body["id"].as_str().context("no id")?.to_owned();
    ensure!(
        body["url"] == format!("/b/{id}"),
        "url {:?} for id {id}",
        body["url"]
    );
    Ok(id)
}

async fn get(server: &TestServer, path: &str) -> anyhow::Result<Response> {
    http::get(server.addr(), path).await
}

/// Asserts an error response: the status, and a JSON body with a non-empty `error`.
fn assert_error(res: &Response, status: u16, what: &str) -> anyhow::Result<()> {
    ensure!(
        res.status == status,
        "{what}: expected {status}, got {}: {}",
        res.status,
        res.body
    );
    let body = res.json().with_context(|| format!("{what}: error body"))?;
    let error = body["error"].as_str().unwrap_or_default();
    ensure!(
        !error.is_empty(),
        "{what}: no error message in {}",
        res.body
    );
    Ok(())
}

async fn export(server: &TestServer, id: &str) -> anyhow::Result<BoardSnapshot> {
    let res = get(server, &format!("/api/boards/{id}/export.json")).await?;
    ensure!(
        res.status == 200,
        "export answered {}: {}",
        res.status,
        res.body
    );
    serde_json::from_str(&res.body).with_context(|| format!("export is not a board: {}", res.body))
}

/// Item id -> text.
fn item_texts(snapshot: &BoardSnapshot) -> BTreeMap<String, String> {
    snapshot
        .items
        .iter()
        .map(|(id, item)| (id.clone(), item.text.clone()))
        .collect()
}

/// The boards listed by `GET /api/boards`, by id.
async fn list(server: &TestServer) -> anyhow::Result<BTreeMap<String, Value>> {
    let res = get(server, "/api/boards").await?;
    ensure!(
        res.status == 200,
        "list answered {}: {}",
        res.status,
        res.body
    );
    let Value::Array(boards) = res.json()? else {
        bail!("not a list: {}", res.body)
    };
    boards
        .into_iter()
        .map(|b| Ok((b["id"].as_str().context("board without id")?.to_owned(), b)))
        .collect()
}

/// Connects and completes the handshake both ways. `Client::join` returns once the server
/// answered our sync step 1, but a room that is still loading greets the connection (its own
/// step 1, which the client answers) only afterwards; the "saved" reply comes after that
/// greeting, so once it is in, the client sends nothing on its own.
async fn join(url: &str) -> anyhow::Result<Client> {
    let client = Client::join(url).await?;
    client.save().await.context("handshake")?;
    Ok(client)
}

fn add_note(client: &Client, text: &str, x: f64) -> String {
    client
        .edit(|board, txn| {
            let note = NewNote {
                pos: [x, 10.0],
                text: text.to_owned(),
                ..NewNote::default()
            };
            board.create_note(txn, note)
        })
        .expect("a valid note")
}

async fn metrics(server: &TestServer) -> anyhow::Result<String> {
    let res = get(server, "/metrics").await?;
    ensure!(res.status == 200, "/metrics answered {}", res.status);
    Ok(res.body)
}

async fn metric(server: &TestServer, name: &str) -> anyhow::Result<f64> {
    http::metric(server.addr(), name).await
}

async fn wait_metric(
    server: &TestServer,
    name: &str,
    pred: impl Fn(f64) -> bool,
) -> anyhow::Result<f64> {
    http::wait_metric(server.addr(), name, pred).await
}

/// The HTTP status of a refused WebSocket upgrade to `url`.
async fn upgrade_status(url: &str) -> anyhow::Result<u16> {
    match tokio_tungstenite::connect_async(url).await {
        Ok(_) => bail!("the upgrade to {url} succeeded"),
        Err(tungstenite::Error::Http(res)) => Ok(res.status().as_u16()),
        Err(e) => bail!("upgrade to {url} failed without an HTTP answer: {e}"),
    }
}

// ---- tests ----------------------------------------------------------------------------------

/// Create -> list -> show -> export, then the board's document over the WebSocket: the title
/// arrives, and notes added there show up in the export.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_list_show_and_export_a_board() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let id = create_board(&server, TITLE).await?;

    let boards = list(&server).await?;
    let listed = boards
        .get(&id)
        .with_context(|| format!("{id} not in {boards:?}"))?;
    assert_eq!(listed["title"], TITLE);

    let res = get(&server, &format!("/api/boards/{id}")).await?;
    assert_eq!(res.status, 200, "{}", res.body);
    let meta = res.json()?;
    assert_eq!(meta["id"], id.as_str());
    assert_eq!(meta["title"], TITLE);
    let created = meta["created_at"].as_u64().context("created_at")?;
    let updated = meta["updated_at"].as_u64().context("updated_at")?;
    assert!(
        created > 1_600_000_000_000,
        "created_at {created} is not a time in ms"
    );
    assert!(updated >= created);

    let snapshot = export(&server, &id).await?;
    assert_eq!(snapshot.meta.title, TITLE);
    assert!(snapshot.items.is_empty());

    // The board made by the API is the one the WebSocket serves.
    let client = join(&server.ws_url(&id)).await?;
    let title = client.board.title(&client.board.doc().transact());
    assert_eq!(title.as_deref(), Some(TITLE));
    let a = add_note(&client, "refine the login story", 0.0);
    let b = add_note(&client, "split the epic", 250.0);
    client.save().await?;
    let snapshot = export(&server, &id).await?;
    assert_eq!(snapshot.meta.title, TITLE);
    let want = BTreeMap::from([
        (a, "refine the login story".to_owned()),
        (b, "split the epic".to_owned()),
    ]);
    assert_eq!(item_texts(&snapshot), want);
    assert_eq!(
        snapshot.items.values().map(|i| i.pos[0]).sum::<f64>(),
        250.0
    );
    assert_eq!(
        snapshot,
        client.snapshot(),
        "export and the replica disagree"
    );

    // Editing keeps the board listed with its title.
    let boards = list(&server).await?;
    assert_eq!(
        boards.get(&id).map(|b| b["title"].clone()),
        Some(json!(TITLE))
    );
    client.close().await;
    Ok(())
}

/// A board that is no longer loaded exports from disk: same title, same notes. And again
/// after a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_of_an_unloaded_board_reads_it_from_disk() -> anyhow::Result<()> {
    let data = DataDir::new();
    let mut server = TestServer::start_on(data.path(), &["--idle-unload-secs", "1"])?;
    let id = create_board(&server, TITLE).await?;
    let client = join(&server.ws_url(&id)).await?;
    let notes: BTreeMap<String, String> = (0..5)
        .map(|i| {
            let text = format!("story {i}");
            (add_note(&client, &text, f64::from(i) * 220.0), text)
        })
        .collect();
    client.save().await?;
    let live = export(&server, &id).await?;
    assert_eq!(item_texts(&live), notes);
    client.close().await;

    wait_metric(&server, "huddle_rooms_loaded", |v| v == 0.0)
        .await
        .context("the room did not unload")?;
    let cold = export(&server, &id).await?;
    assert_eq!(cold.meta.title, TITLE);
    assert_eq!(cold, live, "the export from disk differs from the live one");
    // Exporting does not load the board into a room.
    assert_eq!(metric(&server, "huddle_rooms_loaded").await?, 0.0);

    server.restart()?;
    assert_eq!(export(&server, &id).await?, live, "after a restart");
    Ok(())
}

/// Deleting a board closes its connections with 4404, makes it 404 everywhere in the API,
/// and it stays gone after a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_closes_connections_and_removes_the_board() -> anyhow::Result<()> {
    let (mut server, _data) = TestServer::start()?;
    let id = create_board(&server, TITLE).await?;
    let keep = create_board(&server, "Sprint 43").await?;
    let (a, b) = (
        join(&server.ws_url(&id)).await?,
        join(&server.ws_url(&id)).await?,
    );
    add_note(&a, "doomed", 0.0);
    b.wait_until(|s| s.items.len() == 1).await?;
    a.save().await?;
    let other = join(&server.ws_url(&keep)).await?;
    let kept = add_note(&other, "survivor", 0.0);
    other.save().await?;

    let res = http::delete(server.addr(), &format!("/api/boards/{id}")).await?;
    assert_eq!(res.status, 204, "{}", res.body);
    for client in [&a, &b] {
        let (code, reason) = client.closed().await?;
        assert_eq!(code, CLOSE_BOARD_DELETED, "reason {reason:?}");
        assert!(!reason.is_empty());
    }
    assert!(
        other.state().closed.is_none(),
        "a client of another board was closed"
    );

    assert_error(
        &get(&server, &format!("/api/boards/{id}")).await?,
        404,
        "show",
    )?;
    assert_error(
        &get(&server, &format!("/api/boards/{id}/export.json")).await?,
        404,
        "export",
    )?;
    assert_error(
        &http::delete(server.addr(), &format!("/api/boards/{id}")).await?,
        404,
        "delete again",
    )?;
    let boards = list(&server).await?;
    assert!(!boards.contains_key(&id), "deleted board still listed");
    assert!(boards.contains_key(&keep));

    // A graceful restart (a kill -9 right after the 204 is a_deletion_is_durable_when_answered).
    drop((a, b));
    assert_eq!(server.stop()?, 0, "huddle did not exit cleanly");
    server.restart()?;
    assert_error(
        &get(&server, &format!("/api/boards/{id}")).await?,
        404,
        "show after restart",
    )?;
    let boards = list(&server).await?;
    assert!(
        !boards.contains_key(&id),
        "deleted board listed after restart"
    );
    assert_eq!(
        item_texts(&export(&server, &keep).await?)
            .get(&kept)
            .map(String::as_str),
        Some("survivor")
    );
    // Connecting again is refused: a room never creates a board.
    let refused = Client::connect(&server.ws_url_with_key(&id, server.admin_key())).await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| format!("{e:#}").contains("404")),
        "a WebSocket to a deleted board was not a 404"
    );
    // Its document is gone too: a new board under the same id starts empty.
    let fresh = join(&recreate(&server, &id).await?).await?;
    let snapshot = fresh.snapshot();
    assert!(
        snapshot.items.is_empty(),
        "deleted notes came back: {snapshot:?}"
    );
    assert_eq!(snapshot.meta.title, "", "the deleted title came back");
    Ok(())
}

/// Creates a board with the id `id` and no title, as the admin; its WebSocket URL.
async fn recreate(server: &TestServer, id: &str) -> anyhow::Result<String> {
    let body = json!({ "title": "", "id": id });
    let res = http::post_json(server.addr(), "/api/boards", &body).await?;
    ensure!(
        res.status == 201,
        "create {id}: {} {}",
        res.status,
        res.body
    );
    Ok(server.ws_url_with_key(id, server.admin_key()))
}

/// Board ids are 1 to 64 characters of `A-Za-z0-9_-`; anything else is 400 before any work,
/// for the API and for the WebSocket upgrade alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_board_ids_are_400() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let long = "x".repeat(65);
    for bad in ["a.b", long.as_str(), "a%20b", "%C3%A9"] {
        assert_error(
            &get(&server, &format!("/api/boards/{bad}")).await?,
            400,
            bad,
        )?;
        assert_error(
            &get(&server, &format!("/api/boards/{bad}/export.json")).await?,
            400,
            bad,
        )?;
        assert_error(
            &http::delete(server.addr(), &format!("/api/boards/{bad}")).await?,
            400,
            bad,
        )?;
        assert_eq!(upgrade_status(&server.ws_url(bad)).await?, 400, "/ws/{bad}");
    }
    // The longest valid id is fine: unknown, so 404.
    let max = "y".repeat(64);
    assert_error(
        &get(&server, &format!("/api/boards/{max}")).await?,
        404,
        "64 characters",
    )?;
    let client = join(&server.ws_url(&max)).await?;
    client.close().await;
    assert!(list(&server).await?.contains_key(&max));
    assert_eq!(get(&server, "/b/a.b").await?.status, 400);
    Ok(())
}

/// A create request that is not `{"title": "..."}` is 400 with an error message, and creates
/// nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_create_requests_are_400() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let long_title = json!({ "title": "t".repeat(201) }).to_string();
    let bodies = [
        "{\"title\": ",
        "not json",
        "",
        "[]",
        "{\"name\": \"Sprint 42\"}",
        "{\"title\": 42}",
        "{\"title\": null}",
        long_title.as_str(),
    ];
    for body in bodies {
        let res =
            http::request(server.addr(), "POST", "/api/boards", Some(body.to_owned())).await?;
        let shown: String = body.chars().take(40).collect();
        assert_error(&res, 400, &format!("body {shown:?}"))?;
    }
    assert!(
        list(&server).await?.is_empty(),
        "a malformed request created a board"
    );
    // The longest title is accepted, trimmed.
    let title = "t".repeat(200);
    let id = create_board(&server, &format!("  {title} ")).await?;
    assert_eq!(list(&server).await?[&id]["title"], title.as_str());
    Ok(())
}

/// `/healthz` answers, and `/metrics` exposes every documented metric and tracks a client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_metrics() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let res = get(&server, "/healthz").await?;
    assert_eq!(res.status, 200);
    assert_eq!(res.body.trim(), "ok");

    let text = metrics(&server).await?;
    for name in [
        "huddle_connections_open",
        "huddle_rooms_loaded",
        "huddle_updates_received_total",
        "huddle_bytes_received_total",
        "huddle_bytes_sent_total",
        "huddle_rejected_messages_total",
    ] {
        assert!(
            http::metric_in(&text, name).is_some(),
            "no {name} in:\n{text}"
        );
        assert!(
            text.contains(&format!("# TYPE {name} ")),
            "no TYPE line for {name}"
        );
    }
    assert!(
        text.contains("huddle_store_flush_seconds_bucket{le=\"+Inf\"}"),
        "no flush histogram:\n{text}"
    );
    assert_eq!(http::metric_in(&text, "huddle_connections_open"), Some(0.0));
    assert_eq!(http::metric_in(&text, "huddle_rooms_loaded"), Some(0.0));
    let updates_before =
        http::metric_in(&text, "huddle_updates_received_total").unwrap_or_default();
    let received_before = http::metric_in(&text, "huddle_bytes_received_total").unwrap_or_default();
    let sent_before = http::metric_in(&text, "huddle_bytes_sent_total").unwrap_or_default();
    let flushes_before =
        http::metric_in(&text, "huddle_store_flush_seconds_count").context("no flush count")?;

    let client = join(&server.ws_url("metrics-board")).await?;
    assert_eq!(
        wait_metric(&server, "huddle_connections_open", |v| v == 1.0).await?,
        1.0
    );
    assert_eq!(metric(&server, "huddle_rooms_loaded").await?, 1.0);
    add_note(&client, "counted", 0.0);
    client.save().await?;
    let text = metrics(&server).await?;
    let value = |name| http::metric_in(&text, name).unwrap_or_default();
    assert!(value("huddle_updates_received_total") >= updates_before + 1.0);
    assert!(value("huddle_bytes_received_total") > received_before);
    assert!(value("huddle_bytes_sent_total") > sent_before);
    assert!(
        value("huddle_store_flush_seconds_count") > flushes_before,
        "'saved' without a flush"
    );

    let second = join(&server.ws_url("metrics-board")).await?;
    wait_metric(&server, "huddle_connections_open", |v| v == 2.0).await?;
    client.close().await;
    second.close().await;
    wait_metric(&server, "huddle_connections_open", |v| v == 0.0).await?;
    Ok(())
}

/// A WebSocket to a board id nobody created makes the board: it is listed, shown and
/// exported with what was written to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_to_an_unknown_id_is_refused_and_boards_are_created_explicitly()
-> anyhow::Result<()> {
    let (mut server, _data) = TestServer::start()?;
    let id = "never-seen-before_42";
    assert_error(
        &get(&server, &format!("/api/boards/{id}")).await?,
        404,
        "before",
    )?;
    // Even the admin's WebSocket does not create a board.
    let refused = Client::connect(&server.ws_url_with_key(id, server.admin_key())).await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| format!("{e:#}").contains("404")),
        "a WebSocket to an unknown id was not a 404"
    );
    assert!(
        !list(&server).await?.contains_key(id),
        "listed before creation"
    );
    // Only the admin chooses ids; anyone else is refused.
    let res = http::request_as(
        server.addr(),
        "POST",
        "/api/boards",
        Some(json!({ "title": "mine", "id": id }).to_string()),
        &[],
    )
    .await?;
    assert_error(&res, 403, "a chosen id without the admin key")?;
    let client = join(&recreate(&server, id).await?).await?;
    let note = add_note(&client, "first note", 0.0);
    client.save().await?;

    let boards = list(&server).await?;
    assert!(boards.contains_key(id), "{id} not in {boards:?}");
    let res = get(&server, &format!("/api/boards/{id}")).await?;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.json()?["id"], id);
    let snapshot = export(&server, id).await?;
    assert_eq!(
        snapshot.items.get(&note).map(|i| i.text.as_str()),
        Some("first note")
    );

    client.close().await;
    server.restart()?;
    assert!(
        list(&server).await?.contains_key(id),
        "the board was not kept"
    );
    Ok(())
}

/// `204 No Content` means deleted for good: a `kill -9` right after it must not bring the
/// board back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deletion_is_durable_when_answered() -> anyhow::Result<()> {
    let (mut server, _data) = TestServer::start()?;
    let mut ids = Vec::new();
    for i in 0..5 {
        let id = create_board(&server, &format!("board {i}")).await?;
        let client = join(&server.ws_url(&id)).await?;
        add_note(&client, "to be deleted", 0.0);
        client.save().await?;
        client.close().await;
        ids.push(id);
    }
    for id in &ids {
        let res = http::delete(server.addr(), &format!("/api/boards/{id}")).await?;
        assert_eq!(res.status, 204, "{}", res.body);
    }
    server.restart()?;
    let boards = list(&server).await?;
    let back: Vec<&String> = ids.iter().filter(|id| boards.contains_key(*id)).collect();
    assert!(
        back.is_empty(),
        "deleted boards are back after kill -9: {back:?}"
    );
    for id in &ids {
        assert_error(
            &get(&server, &format!("/api/boards/{id}/export.json")).await?,
            404,
            id,
        )?;
    }
    Ok(())
}

/// A board deleted while its log is being compacted stays deleted: the compaction that was
/// running must not write the board's snapshot back after the deletion.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_deleted_during_compaction_stays_deleted() -> anyhow::Result<()> {
    let data = DataDir::new();
    // Compact after every update, so one is running whenever an update has just arrived.
    let server = TestServer::start_on(data.path(), &["--compact-after-updates", "1"])?;
    let id = create_board(&server, TITLE).await?;
    let writer = join(&server.ws_url(&id)).await?;
    let watcher = join(&server.ws_url(&id)).await?;
    // A board big enough that compacting it takes a while in a debug build (one frame, so
    // the setup itself compacts once).
    const NOTES: usize = 1500;
    writer.edit(|board, txn| {
        for i in 0..NOTES {
            let note = NewNote {
                pos: [i as f64, 0.0],
                text: "lorem".to_owned(),
                ..NewNote::default()
            };
            board.create_note(txn, note).expect("a valid note");
        }
    });
    writer.save().await?;
    watcher
        .wait_until(|s| s.items.len() == NOTES)
        .await
        .map_err(|_| anyhow::anyhow!("sync"))?;
    // The room notices a finished compaction on its next tick (1 s), then the next update
    // starts another; the watcher seeing that update means the compaction has just begun.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    add_note(&writer, "the last straw", 0.0);
    watcher
        .wait_until(|s| s.items.len() == NOTES + 1)
        .await
        .map_err(|_| anyhow::anyhow!("sync"))?;
    let res = http::delete(server.addr(), &format!("/api/boards/{id}")).await?;
    assert_eq!(res.status, 204, "{}", res.body);
    assert_eq!(writer.closed().await?.0, CLOSE_BOARD_DELETED);

    // Give a compaction that was running time to finish (this wait cannot make the test fail,
    // only miss the bug), then look at what is stored under the id.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let fresh = join(&recreate(&server, &id).await?).await?;
    let snapshot = fresh.snapshot();
    assert!(
        snapshot.items.is_empty() && snapshot.meta.title.is_empty(),
        "the deleted board came back: {} notes, title {:?}",
        snapshot.items.len(),
        snapshot.meta.title
    );
    Ok(())
}
