//! The board's first view (`GET /api/boards/{id}/view`), on the wire: who may have it is
//! decided as for the board's WebSocket, and it holds the items a y-websocket sync gives; its
//! JSON and its binary form (`format=binary`, what the web app reads) say the same, whether
//! made by the board's room or stored when the room stopped.

use std::collections::BTreeMap;
use std::io::Read;

use anyhow::{Context, ensure};
use huddle_shared::model::{BoardView, ItemSnapshot, NewNote};
use huddle_tests::client::Client;
use huddle_tests::server::TestServer;
use huddle_tests::visitor::{Visitor, key_of};

fn note(client: &Client, text: &str, pos: [f64; 2]) -> String {
    client.edit(|board, txn| {
        board
            .create_note(
                txn,
                NewNote {
                    text: text.to_owned(),
                    pos,
                    ..NewNote::default()
                },
            )
            .expect("a valid note")
    })
}

/// `who`'s answer to the view of `board`: its status, and the view if it was 200.
async fn view_of(who: &Visitor, board: &str) -> anyhow::Result<(u16, Option<BoardView>)> {
    let res = who
        .call("GET", &format!("/api/boards/{board}/view"), None)
        .await?;
    let path = format!("/api/boards/{board}/view?format=binary");
    let plain = who.get_binary(&path, &[]).await?;
    ensure!(
        plain.status == res.status,
        "JSON {}, binary {}",
        res.status,
        plain.status
    );
    if res.status != 200 {
        return Ok((res.status, None));
    }
    ensure!(
        res.header("cache-control") == Some("no-store"),
        "the view may be cached: {:?}",
        res.headers
    );
    let view: BoardView = serde_json::from_str(&res.body).context("the view is not a BoardView")?;

    // The same view in its binary form, as it is and gzip'd.
    ensure!(plain.header("content-type") == Some("application/octet-stream"));
    ensure!(plain.header("content-encoding").is_none());
    let binary = BoardView::from_binary(&plain.body).context("the binary view does not read")?;
    ensure!(binary == view, "the binary view is not the JSON one");
    let gzipped = who
        .get_binary(&path, &[("Accept-Encoding", "gzip")])
        .await?;
    ensure!(gzipped.header("content-encoding") == Some("gzip"));
    let mut unpacked = Vec::new();
    flate2::read::GzDecoder::new(&gzipped.body[..]).read_to_end(&mut unpacked)?;
    ensure!(unpacked == plain.body, "gzip'd, the binary view differs");
    Ok((200, Some(view)))
}

/// The view is refused (404, as the WebSocket and the rest of the API refuse) to a person with
/// no role on the board, for a board that does not exist and to a person whose role was
/// removed; a viewer (by a share link) gets it, and it is what their sync gives them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_people_who_may_read_the_board_get_its_view() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let owner = Visitor::arrive(&server).await?;
    let board = owner.create_board("Refinement").await?;
    let mine = owner.join(&board, None).await?;
    note(&mine, "first", [10.0, 20.0]);
    note(&mine, "second", [300.0, 20.0]);
    mine.save().await?;

    let stranger = Visitor::arrive(&server).await?;
    let theirs = stranger.create_board("Theirs").await?;
    ensure!(
        view_of(&stranger, &board).await?.0 == 404,
        "a stranger got the view"
    );
    ensure!(
        view_of(&owner, &theirs).await?.0 == 404,
        "the owner got a foreign board's view"
    );
    ensure!(
        view_of(&owner, "no-such-board").await?.0 == 404,
        "a board that does not exist has a view"
    );
    ensure!(
        view_of(&owner, "bad%20id").await?.0 == 400,
        "a bad board id was not refused"
    );
    let unknown = owner
        .call("GET", &format!("/api/boards/{board}/view?format=xml"), None)
        .await?;
    ensure!(
        unknown.status == 400 && unknown.body.contains("format"),
        "an unknown format: {} {}",
        unknown.status,
        unknown.body
    );

    let links = owner
        .call("GET", &format!("/api/boards/{board}/access"), None)
        .await?
        .json()?;
    let viewer_link = links["links"]["viewer"]
        .as_str()
        .context("no viewer link")?;
    let viewer = Visitor::arrive(&server).await?;
    viewer.open_link(viewer_link).await?;
    let (status, view) = view_of(&viewer, &board).await?;
    ensure!(status == 200, "a viewer was refused the view: {status}");
    let synced = viewer.join(&board, Some(key_of(viewer_link)?)).await?;
    ensure!(
        view.context("no view")?.items == synced.snapshot().items,
        "the view is not what the viewer's sync gives"
    );

    let removed = owner
        .call(
            "DELETE",
            &format!("/api/boards/{board}/people/{}", viewer.id),
            None,
        )
        .await?;
    ensure!(
        removed.status == 200,
        "remove: {} {}",
        removed.status,
        removed.body
    );
    ensure!(
        view_of(&viewer, &board).await?.0 == 404,
        "a removed person still gets the view"
    );
    Ok(())
}

/// The view follows the document: after an edit (the room's cached view is dropped) it holds
/// what a fresh y-websocket client syncs, deleted items gone, moved ones where they went.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_view_holds_what_the_document_holds() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let owner = Visitor::arrive(&server).await?;
    let board = owner.create_board("Map").await?;
    let mine = owner.join(&board, None).await?;
    let ids: Vec<String> = (0..50)
        .map(|i| note(&mine, &format!("note {i}"), [i as f64 * 10.0, 0.0]))
        .collect();
    mine.save().await?;
    let (_, before) = view_of(&owner, &board).await?;
    ensure!(
        before.context("no view")?.items.len() == 50,
        "the view does not hold every note"
    );

    mine.edit(|b, txn| b.delete_item(txn, &ids[0]))
        .context("delete")?;
    mine.edit(|b, txn| b.move_item(txn, &ids[1], [-500.0, 40.0]))
        .context("move")?;
    mine.save().await?;
    let (_, after) = view_of(&owner, &board).await?;
    let after = after.context("no view")?;
    let fresh = owner.join(&board, None).await?;
    ensure!(
        after.items == fresh.snapshot().items,
        "the view after an edit is not what a fresh sync gives"
    );
    ensure!(
        !after.items.contains_key(&ids[0]),
        "a deleted note is in the view"
    );
    ensure!(
        after.items.get(&ids[1]).map(|i| i.pos) == Some([-500.0, 40.0]),
        "a moved note is not where it went"
    );
    let held = fresh.snapshot().items.len();
    ensure!(held == 49, "the fresh client holds {held} items");
    Ok(())
}

/// How many rooms the server has loaded (`/metrics`).
async fn rooms_loaded(server: &TestServer) -> anyhow::Result<u64> {
    metric(server, "huddle_rooms_loaded").await
}

/// One of the server's numbers in `/metrics`.
async fn metric(server: &TestServer, name: &str) -> anyhow::Result<u64> {
    let body = huddle_tests::http::get(server.addr(), "/metrics")
        .await?
        .body;
    body.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .with_context(|| format!("no {name} in /metrics"))
}

/// A room that stops stores its board's view, so the next first load gets it without loading
/// the board; the board's first change forgets it, durably with the change itself: after a
/// crash (kill -9) the view is the board with the change, never the stored one from before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_board_keeps_its_view_until_it_changes() -> anyhow::Result<()> {
    let (mut server, _data) = TestServer::start()?;
    let mut owner = Visitor::arrive(&server).await?;
    let board = owner.create_board("Stored").await?;
    let mine = owner.join(&board, None).await?;
    let (ids, held) = twenty_notes(&mine).await?;
    drop(mine);

    // A clean stop: the room stores the view.
    let stored = stored_view_after_a_clean_restart(&mut server, &mut owner, &board).await?;
    ensure!(stored.items == held, "the stored view is not the board");

    // A change forgets it, durably with the change: a crash right after keeps nothing stale.
    let changed = change_then_crash(&mut server, &mut owner, &board, &ids[0]).await?;

    // Stopped cleanly again, the changed board's view is stored.
    let stored = stored_view_after_a_clean_restart(&mut server, &mut owner, &board).await?;
    ensure!(
        stored.items == changed,
        "the view stored after the change is not the board"
    );
    Ok(())
}

/// Twenty notes written through `client` and saved: their ids, and the board's items.
async fn twenty_notes(
    client: &Client,
) -> anyhow::Result<(Vec<String>, BTreeMap<String, ItemSnapshot>)> {
    let ids = (0..20)
        .map(|i| note(client, &format!("note {i}"), [i as f64 * 10.0, 0.0]))
        .collect();
    client.save().await?;
    Ok((ids, client.snapshot().items))
}

/// Deletes `item` from `board` as `owner`, saved, then kills the server (-9) and starts it
/// again: the board's view must then hold the change. Returns the board's items.
async fn change_then_crash(
    server: &mut TestServer,
    owner: &mut Visitor,
    board: &str,
    item: &str,
) -> anyhow::Result<BTreeMap<String, ItemSnapshot>> {
    let mine = owner.join(board, None).await?;
    mine.edit(|b, txn| b.delete_item(txn, item))
        .context("delete")?;
    mine.save().await?;
    let changed = mine.snapshot().items;
    drop(mine);
    server.restart()?; // kill -9, then start
    owner.come_back(server);
    let (_, after_crash) = view_of(owner, board).await?;
    ensure!(
        after_crash.context("no view")?.items == changed,
        "after a crash the view is not the changed board"
    );
    Ok(changed)
}

/// Stops the server cleanly and starts it again, then gets `board`'s view as `owner`, checking
/// that no room was loaded for it (so it was the stored one).
async fn stored_view_after_a_clean_restart(
    server: &mut TestServer,
    owner: &mut Visitor,
    board: &str,
) -> anyhow::Result<BoardView> {
    server.stop()?;
    server.restart()?;
    owner.come_back(server);
    ensure!(
        rooms_loaded(server).await? == 0,
        "a room runs after the restart"
    );
    let (status, view) = view_of(owner, board).await?;
    ensure!(status == 200, "no view after a restart: {status}");
    ensure!(
        rooms_loaded(server).await? == 0,
        "the board was loaded to answer its view"
    );
    view.context("no view")
}

/// A board made by the server (here imported from a CSV backlog) is stored with its view: its
/// first open gets the view without loading the board, and the view is what a sync gives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_imported_board_is_stored_with_its_view() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let owner = Visitor::arrive(&server).await?;
    let mut csv = String::from("Summary,Story Points,Labels\n");
    for i in 0..40 {
        csv.push_str(&format!("Story {i},{},checkout\n", i % 5 + 1));
    }
    let res = huddle_tests::http::request_as(
        server.addr(),
        "POST",
        "/api/boards/import?format=csv&title=Backlog",
        Some(csv),
        &[("Cookie", owner.cookie.as_str())],
    )
    .await?;
    ensure!(res.status == 201, "import: {} {}", res.status, res.body);
    let board = res.json()?["id"]
        .as_str()
        .context("no id in the import's answer")?
        .to_owned();

    let (status, view) = view_of(&owner, &board).await?;
    ensure!(status == 200, "no view of the imported board: {status}");
    ensure!(
        rooms_loaded(&server).await? == 0,
        "the imported board was loaded to answer its view"
    );
    let view = view.context("no view")?;
    let synced = owner.join(&board, None).await?.snapshot().items;
    ensure!(
        view.items == synced,
        "the stored view is not what a sync of the imported board gives"
    );
    let stories = view
        .items
        .values()
        .filter(|i| i.text.starts_with("Story "))
        .count();
    ensure!(stories == 40, "the view holds {stories} of the 40 stories");
    Ok(())
}

/// A board that goes quiet has its view stored while its room still runs
/// (`--store-view-after-secs`), so that after a crash its first load still gets a view without
/// loading the board; and a change after that is never hidden by it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiet_board_stores_its_view_while_open() -> anyhow::Result<()> {
    let data = huddle_tests::server::DataDir::new();
    let mut server = TestServer::start_on(data.path(), &["--store-view-after-secs", "1"])?;
    let mut owner = Visitor::arrive(&server).await?;
    let board = owner.create_board("Quiet").await?;
    let other = owner.create_board("Other").await?;
    let mine = owner.join(&board, None).await?;
    let (ids, held) = twenty_notes(&mine).await?;

    // Still connected: the room runs, and stores the view once the board has been quiet.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while metric(&server, "huddle_views_stored_total").await? == 0 {
        ensure!(
            std::time::Instant::now() < deadline,
            "no view stored 30 s after the board went quiet"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // A save on another board is a group commit after the view was written: it is on disk.
    let elsewhere = owner.join(&other, None).await?;
    note(&elsewhere, "elsewhere", [0.0, 0.0]);
    elsewhere.save().await?;
    drop((mine, elsewhere));

    server.restart()?; // kill -9, then start: the room never stopped
    owner.come_back(&server);
    let (status, view) = view_of(&owner, &board).await?;
    ensure!(status == 200, "no view after a crash: {status}");
    ensure!(
        rooms_loaded(&server).await? == 0,
        "the board was loaded to answer its view: none was stored while it was open"
    );
    ensure!(
        view.context("no view")?.items == held,
        "the view stored while the board was open is not the board"
    );

    // A change after the view was stored forgets it: after a crash the view is the board with
    // the change (stored again if the board went quiet before the crash, or read from it).
    change_then_crash(&mut server, &mut owner, &board, &ids[0]).await?;
    Ok(())
}
