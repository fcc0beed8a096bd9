//! The whiteboard in real headless Chromium against the real server, as two people use it:
//! each person is a separate Chromium with its own profile (its own name, IndexedDB and
//! service worker), driven with real mouse and key events at page coordinates.
//!
//! The canvas has no elements to inspect, so the tests read the page's state through
//! `window.huddle` (the board page's read-only hooks: `snapshot()`, `worldToClient()`,
//! `editing()`, `peers()`...) and aim the mouse with `worldToClient`. Everything the tests do
//! goes through the page's own input handling.
//!
//! Needs the built client and Chromium: `cargo xtask test` provides both.

use std::time::Duration;

use anyhow::{Context, ensure};
use huddle_tests::browser::{self, modifiers};
use huddle_tests::client::{Client, WAIT};
use huddle_tests::http;
use huddle_tests::person::{Person, READY, two_people};
use huddle_tests::server::TestServer;
use huddle_tests::workspace_root;
use serde_json::{Value, json};

// ---- helpers --------------------------------------------------------------------------------

fn pos_of(items: &serde_json::Map<String, Value>, id: &str) -> anyhow::Result<[f64; 2]> {
    let item = items.get(id).with_context(|| format!("no item {id}"))?;
    Ok(serde_json::from_value(item["pos"].clone())?)
}

/// A predicate: item `id` is at `pos` (compared as numbers: JSON spells 620 and 620.0
/// differently).
fn at_pos(id: &str, pos: [f64; 2]) -> String {
    format!(
        "(() => {{ const p = huddle.snapshot().items[{}]?.pos;
                   return !!p && p[0] === {} && p[1] === {}; }})()",
        json!(id),
        pos[0],
        pos[1]
    )
}

/// Whether `needle`'s characters appear in `hay` in order.
fn is_subsequence(needle: &str, hay: &str) -> bool {
    let mut hay = hay.chars();
    needle.chars().all(|c| hay.any(|h| h == c))
}

// ---- tests ----------------------------------------------------------------------------------

/// Test 1: a note created in A appears in B; text typed in B appears in A; a drag in A ends
/// at the same place in B.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_type_and_drag_show_on_the_other_page() -> anyhow::Result<()> {
    let (_server, _data, _board, a, b) = two_people("Create, type, drag").await?;

    let id = a.create_note(a.canvas_point(-100.0, -50.0).await?).await?;
    a.type_text("As a user I log in").await?;
    a.end_edit().await?;
    b.wait_text(&id, "As a user I log in").await?;

    b.edit_note(&id).await?;
    b.type_text(" #auth").await?;
    b.end_edit().await?;
    a.wait_text(&id, "As a user I log in #auth").await?;
    a.wait(
        "the tag from B's text",
        &format!(
            "JSON.stringify(huddle.snapshot().items[{}]?.tags) === '[\"auth\"]'",
            json!(id)
        ),
    )
    .await?;

    let start = pos_of(&a.items().await?, &id)?;
    let from = a.item_center(&id).await?;
    a.page
        .drag(from, [from[0] + 180.0, from[1] + 120.0])
        .await?;
    let moved = a
        .wait(
            "the drop to move the note",
            &format!(
                "(() => {{ const p = huddle.snapshot().items[{}]?.pos;
                           return p && (p[0] !== {} || p[1] !== {}) && p; }})()",
                json!(id),
                start[0],
                start[1]
            ),
        )
        .await?;
    let moved: [f64; 2] = serde_json::from_value(moved)?;
    let zoom = a
        .page
        .eval("huddle.camera().zoom")
        .await?
        .as_f64()
        .unwrap_or(1.0);
    ensure!(
        ((moved[0] - start[0]) * zoom - 180.0).abs() < 2.0
            && ((moved[1] - start[1]) * zoom - 120.0).abs() < 2.0,
        "the note moved from {start:?} to {moved:?} at zoom {zoom}, not by (180, 120) px"
    );
    b.wait("A's drop", &at_pos(&id, moved)).await?;
    a.wait_saved().await?;
    a.assert_no_errors()?;
    b.assert_no_errors()
}

/// Test 2: two people typing into one note at once lose no character.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_typing_in_one_note_merges() -> anyhow::Result<()> {
    const FROM_A: &str = "abcdefghijklmnop";
    const FROM_B: &str = "0123456789!?+=-_";
    let (_server, _data, _board, a, b) = two_people("Typing together").await?;

    let id = a.create_note(a.canvas_point(0.0, 0.0).await?).await?;
    a.type_text("Story: ").await?;
    b.wait_text(&id, "Story: ").await?;
    b.edit_note(&id).await?;

    let (typed_a, typed_b) = tokio::join!(a.type_text(FROM_A), b.type_text(FROM_B));
    typed_a?;
    typed_b?;
    let expected_len = "Story: ".len() + FROM_A.len() + FROM_B.len();
    let length_is = format!(
        "huddle.snapshot().items[{}]?.text.length === {expected_len}",
        json!(id)
    );
    a.wait("every keystroke", &length_is).await?;
    b.wait("every keystroke", &length_is).await?;
    let text_a = a.items().await?[&id]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let text_b = b.items().await?[&id]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    ensure!(text_a == text_b, "A has {text_a:?}, B has {text_b:?}");
    ensure!(text_a.starts_with("Story: "), "the text is {text_a:?}");
    for typed in [FROM_A, FROM_B] {
        ensure!(
            is_subsequence(typed, &text_a),
            "{typed:?} is not kept in order in {text_a:?}"
        );
    }
    // The editors show the merged text too, not only the documents.
    for person in [&a, &b] {
        person
            .wait(
                "the editor to show the merged text",
                &format!(
                    "document.querySelector('#note-editor')?.value === {}",
                    json!(text_a)
                ),
            )
            .await?;
    }
    a.assert_no_errors()?;
    b.assert_no_errors()
}

/// Test 3: A loses the network, edits, reloads while still offline (the edits are still
/// there), comes back; B sees every edit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_edits_survive_a_reload_and_sync() -> anyhow::Result<()> {
    let (server, _data, board, a, b) = two_people("Offline").await?;
    let first = a.create_note(a.canvas_point(-200.0, 0.0).await?).await?;
    a.type_text("online").await?;
    a.end_edit().await?;
    a.wait_saved().await?;
    b.wait_text(&first, "online").await?;
    // The service worker has cached the app and controls the page.
    a.wait(
        "the service worker",
        "navigator.serviceWorker.ready.then(r => !!r.active && !!navigator.serviceWorker.controller)",
    )
    .await?;

    a.page.set_offline(true).await?;
    a.wait(
        "'offline'",
        "document.querySelector('#status')?.textContent === 'offline'",
    )
    .await?;
    let second = a.create_note(a.canvas_point(150.0, 0.0).await?).await?;
    a.type_text("written offline").await?;
    a.end_edit().await?;
    a.edit_note(&first).await?;
    a.type_text(", then offline").await?;
    a.end_edit().await?;

    // Reload with no network: the page comes from the service worker, the board from
    // IndexedDB.
    a.page
        .goto(&server.http_url(&format!("/b/{board}")))
        .await?;
    a.wait("the page to start offline", "window.huddle").await?;
    ensure!(
        a.page.eval("!!navigator.serviceWorker.controller").await? == json!(true),
        "the reloaded page is not controlled by the service worker"
    );
    a.wait_text(&first, "online, then offline").await?;
    a.wait_text(&second, "written offline").await?;
    a.wait(
        "'offline' after the reload",
        "document.querySelector('#status')?.textContent === 'offline'",
    )
    .await?;
    // Nothing reached B meanwhile.
    let b_items = b.items().await?;
    ensure!(
        !b_items.contains_key(&second),
        "B got {second} while A was offline"
    );

    a.page.set_offline(false).await?;
    a.wait_saved().await?;
    b.wait_text(&first, "online, then offline").await?;
    b.wait_text(&second, "written offline").await?;
    // And the server has them (a fresh replica).
    let rust = Client::join(&server.ws_url(&board)).await?;
    rust.wait_until(|s| {
        s.items
            .get(&second)
            .is_some_and(|n| n.text == "written offline")
            && s.items
                .get(&first)
                .is_some_and(|n| n.text == "online, then offline")
    })
    .await
    .context("the server's copy")?;
    b.assert_no_errors()
}

/// Test 4: a reload shows the same board, from the server and from IndexedDB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_shows_the_same_board() -> anyhow::Result<()> {
    let (server, _data, board, a, b) = two_people("Reload").await?;
    for (i, text) in ["one", "two", "three"].into_iter().enumerate() {
        a.create_note(a.canvas_point(-250.0 + 230.0 * i as f64, 0.0).await?)
            .await?;
        a.type_text(text).await?;
        a.end_edit().await?;
    }
    a.wait_saved().await?;
    let before = a.page.eval("huddle.snapshot()").await?;
    b.wait(
        "A's three notes",
        "Object.keys(huddle.snapshot().items).length === 3",
    )
    .await?;

    a.page
        .goto(&server.http_url(&format!("/b/{board}")))
        .await?;
    a.wait("the reloaded page", READY).await?;
    let after = a.page.eval("huddle.snapshot()").await?;
    ensure!(
        before == after,
        "before the reload: {before}\nafter: {after}"
    );
    let in_b = b.page.eval("huddle.snapshot()").await?;
    ensure!(before == in_b, "A: {before}\nB: {in_b}");
    a.assert_no_errors()?;
    b.assert_no_errors()
}

/// Test 5: B sees A's cursor and name; when A closes the tab, B's list drops A.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_shows_cursors_and_drops_the_departed() -> anyhow::Result<()> {
    let (_server, _data, _board, a, b) = two_people("Presence").await?;
    let a_name = a
        .wait(
            "A's own entry in the people list",
            "document.querySelector('#people li.person.me')?.textContent",
        )
        .await?;
    let id = a.create_note(a.canvas_point(-80.0, -60.0).await?).await?;
    a.type_text("Cursor test").await?;
    a.end_edit().await?;

    // A points at a world spot; B sees A's cursor there, labelled with A's name.
    let spot = [120.0, 80.0];
    let at = a.to_client(spot).await?;
    a.page.mouse_move(at).await?;
    a.page.mouse_move([at[0] + 1.0, at[1]]).await?;
    a.page.mouse_move(at).await?;
    let peer = b
        .wait(
            "A's cursor",
            &format!(
                "huddle.peers().find(p => p.name === {} && p.cursor &&
                    Math.abs(p.cursor[0] - {}) < 2 && Math.abs(p.cursor[1] - {}) < 2)",
                a_name, spot[0], spot[1]
            ),
        )
        .await?;
    ensure!(
        peer["selection"]
            .as_array()
            .is_some_and(|s| s.iter().any(|x| x == id.as_str())),
        "B does not see A's selection of {id}: {peer}"
    );
    b.wait(
        "A in B's people list",
        &format!(
            "[...document.querySelectorAll('#people li.person:not(.me)')].some(li => li.textContent === {a_name})"
        ),
    )
    .await?;
    // The two-person board, as B sees it: A's note, A's cursor and name.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let shot = workspace_root().join("tests/artifacts/whiteboard-two-people.png");
    b.page.screenshot(&shot).await?;
    ensure!(
        std::fs::read(&shot)?.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is not a PNG",
        shot.display()
    );

    a.assert_no_errors()?;
    a.page.close().await?;
    b.wait(
        "A to leave B's people list",
        "document.querySelectorAll('#people li.person:not(.me)').length === 0 && huddle.peers().length === 0",
    )
    .await?;
    b.assert_no_errors()
}

/// Test 6: undo in A undoes only A's change, not B's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_reverts_only_your_own_changes() -> anyhow::Result<()> {
    let (_server, _data, _board, a, b) = two_people("Undo").await?;
    let mine = a.create_note(a.canvas_point(-200.0, 0.0).await?).await?;
    a.type_text("A's note").await?;
    a.end_edit().await?;
    b.wait_text(&mine, "A's note").await?;

    let theirs = b.create_note(b.canvas_point(150.0, 0.0).await?).await?;
    b.type_text("B's note").await?;
    b.end_edit().await?;
    // B also moves A's note: undo in A must not move it back.
    let from = b.item_center(&mine).await?;
    b.page.drag(from, [from[0], from[1] + 150.0]).await?;
    let moved_by_b = b
        .wait(
            "B's move of A's note",
            &format!(
                "(() => {{ const p = huddle.snapshot().items[{}].pos; return p; }})()",
                json!(mine)
            ),
        )
        .await?;
    a.wait_text(&theirs, "B's note").await?;
    let moved_by_b: [f64; 2] = serde_json::from_value(moved_by_b)?;
    a.wait("B's move in A", &at_pos(&mine, moved_by_b)).await?;

    // Undo A's typing: A's note goes back to empty text, and stays where B put it.
    a.page
        .click_at(a.canvas_point(-450.0, -250.0).await?, 0)
        .await?;
    a.page.press("z", modifiers::CTRL).await?;
    a.wait(
        "A's typing undone",
        &format!("huddle.snapshot().items[{}]?.text === ''", json!(mine)),
    )
    .await?;
    let items = a.items().await?;
    ensure!(
        pos_of(&items, &mine)? == moved_by_b,
        "A's undo moved the note B moved: {}",
        items[&mine]
    );
    ensure!(
        items[&theirs]["text"] == "B's note",
        "A's undo changed B's note: {}",
        items[&theirs]
    );
    // Undo again: A's note is gone, B's stays, everywhere.
    a.page.press("z", modifiers::CTRL).await?;
    let gone = format!("!(({}) in huddle.snapshot().items)", json!(mine));
    a.wait("A's note undone", &gone).await?;
    b.wait("A's undo in B", &gone).await?;
    b.wait_text(&theirs, "B's note").await?;
    // Redo brings it back.
    a.page
        .press("z", modifiers::CTRL | modifiers::SHIFT)
        .await?;
    let back = format!("({}) in huddle.snapshot().items", json!(mine));
    a.wait("the redo", &back).await?;
    b.wait("A's redo in B", &back).await?;
    a.assert_no_errors()?;
    b.assert_no_errors()
}

/// The item kinds around notes: a frame carries the notes inside it when dragged, an arrow
/// joins two notes (and still does after one moves), and a copied note pastes onto another
/// board (in another tab of the same browser).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_arrows_and_paste_across_boards() -> anyhow::Result<()> {
    browser::ensure_client_built()?;
    let (server, _data) = TestServer::start()?;
    let board = http::create_board(server.addr(), "Frames and arrows").await?;
    let other = http::create_board(server.addr(), "Paste target").await?;
    let a = Person::join("A", &server, &board).await?;

    // F: a frame in the middle of the view, its title open for typing.
    a.page.press("f", 0).await?;
    let frame = a
        .wait("the new frame", "huddle.editing()")
        .await?
        .as_str()
        .context("frame id")?
        .to_owned();
    a.type_text(" Sprint 12").await?;
    a.end_edit().await?;
    // N: a note in the middle of the view, so inside the frame.
    a.page.press("n", 0).await?;
    let inside = a
        .wait("the new note", "huddle.editing()")
        .await?
        .as_str()
        .context("note id")?
        .to_owned();
    a.type_text("inside").await?;
    a.end_edit().await?;
    let outside = a.create_note(a.canvas_point(-600.0, -250.0).await?).await?;
    a.type_text("outside").await?;
    a.end_edit().await?;
    let items = a.items().await?;
    ensure!(
        items[&frame]["kind"] == "frame" && items[&frame]["text"] == "Frame Sprint 12",
        "the frame is {}",
        items[&frame]
    );

    // Drag the frame by a spot inside it but off the note: the note comes along, the other
    // note stays.
    let (frame_at, inside_at, outside_at) = (
        pos_of(&items, &frame)?,
        pos_of(&items, &inside)?,
        pos_of(&items, &outside)?,
    );
    let grab = a
        .to_client([frame_at[0] + 40.0, frame_at[1] + 60.0])
        .await?;
    a.page.drag(grab, [grab[0] + 120.0, grab[1] + 80.0]).await?;
    a.wait(
        "the frame to move",
        &format!(
            "huddle.snapshot().items[{}].pos[0] !== {}",
            json!(frame),
            frame_at[0]
        ),
    )
    .await?;
    let items = a.items().await?;
    let frame_moved = pos_of(&items, &frame)?;
    let delta = [frame_moved[0] - frame_at[0], frame_moved[1] - frame_at[1]];
    let inside_moved = pos_of(&items, &inside)?;
    ensure!(
        (inside_moved[0] - inside_at[0] - delta[0]).abs() < 1e-6
            && (inside_moved[1] - inside_at[1] - delta[1]).abs() < 1e-6,
        "the frame moved by {delta:?} but the note inside went from {inside_at:?} to {inside_moved:?}"
    );
    ensure!(
        pos_of(&items, &outside)? == outside_at,
        "the note outside the frame moved"
    );

    // Click one note, shift-click the other, C: an arrow between them.
    a.page.click_at(a.item_center(&inside).await?, 0).await?;
    a.page
        .click_at(a.item_center(&outside).await?, modifiers::SHIFT)
        .await?;
    a.wait("both notes selected", "huddle.selection().length === 2")
        .await?;
    a.page.press("c", 0).await?;
    let arrow = a
        .wait(
            "the arrow",
            "Object.entries(huddle.snapshot().items).find(([, i]) => i.kind === 'connector')?.[1]",
        )
        .await?;
    let ends = [arrow["from"].as_str(), arrow["to"].as_str()];
    ensure!(
        ends == [Some(inside.as_str()), Some(outside.as_str())],
        "the arrow joins {ends:?}, not {inside} -> {outside}"
    );

    // Copy the inside note and paste it on the other board, in another tab.
    a.page.click_at(a.item_center(&inside).await?, 0).await?;
    a.wait("one note selected", "huddle.selection().length === 1")
        .await?;
    a.page.press("c", modifiers::CTRL).await?;
    let tab = a.browser.new_page(&server.page_url(&other)).await?;
    tab.wait_for(READY, WAIT).await?;
    tab.click_at(
        serde_json::from_value(
            tab.eval(
                "(() => { const r = document.querySelector('#board-canvas').getBoundingClientRect();
                          return [r.left + 40, r.top + 40]; })()",
            )
            .await?,
        )?,
        0,
    )
    .await?;
    tab.press("v", modifiers::CTRL).await?;
    let pasted = tab
        .wait_for(
            "Object.values(huddle.snapshot().items).find(i => i.kind === 'note' && i.text === 'inside')",
            WAIT,
        )
        .await
        .context("the pasted note on the other board")?;
    ensure!(pasted["kind"] == "note", "pasted {pasted}");
    // And the server has it (a fresh replica of the other board).
    let rust = Client::join(&server.ws_url(&other)).await?;
    rust.wait_until(|s| s.items.values().any(|i| i.text == "inside"))
        .await
        .context("the server's copy of the other board")?;
    a.assert_no_errors()
}

/// Following someone's view, and "bring everyone here".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_and_summon_move_the_view() -> anyhow::Result<()> {
    let (_server, _data, _board, a, b) = two_people("Follow").await?;
    // B follows A: clicks A in the people list.
    b.wait(
        "A in B's people list",
        "document.querySelector('#people li.person[data-client-id] button.person-follow')",
    )
    .await?;
    b.page
        .click("#people li.person[data-client-id] button.person-follow")
        .await?;
    // A pans (wheel) and zooms (ctrl+wheel); B's view goes along.
    let centre = a.canvas_point(0.0, 0.0).await?;
    a.page.wheel(centre, [400.0, 250.0], 0).await?;
    a.page.wheel(centre, [0.0, -200.0], modifiers::CTRL).await?;
    let a_cam = a
        .wait(
            "A's pan and zoom",
            "(() => { const c = huddle.camera(); return c.x !== 0 && c.zoom !== 1 && c; })()",
        )
        .await?;
    let same_view = |cam: &Value| {
        format!(
            "(() => {{ const c = huddle.camera();
                       return Math.abs(c.x - {}) < 0.5 && Math.abs(c.y - {}) < 0.5
                           && Math.abs(c.zoom - {}) < 1e-6; }})()",
            cam["x"], cam["y"], cam["zoom"]
        )
    };
    b.wait("B to follow A's view", &same_view(&a_cam)).await?;

    // B pans on its own (which stops following), then brings everyone to its view.
    let b_centre = b.canvas_point(0.0, 0.0).await?;
    b.page.wheel(b_centre, [-900.0, 0.0], 0).await?;
    let b_cam = b
        .wait(
            "B's own pan",
            &format!(
                "(() => {{ const c = huddle.camera(); return c.x !== {} && c; }})()",
                a_cam["x"]
            ),
        )
        .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let a_now = a.page.eval("huddle.camera()").await?;
    ensure!(a_now == a_cam, "B's own pan moved A: {a_now} (was {a_cam})");
    b.page.click("#summon").await?;
    a.wait("A to be brought to B's view", &same_view(&b_cam))
        .await?;
    a.assert_no_errors()?;
    b.assert_no_errors()
}
