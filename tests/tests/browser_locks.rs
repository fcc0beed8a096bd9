//! Locked structure in real browsers (issue 13): Olga owns the board (so she may lock), Ben
//! joins with the editor link, each in their own Chromium. Olga selects a note and presses
//! Ctrl+Shift+L: both pages show the lock (a padlock on the note, read through
//! `huddle.locks()`), Ben's drag of the note does nothing but say "Locked by Olga", while the
//! note stays where it was in both documents; Olga can still move it. Then the race the page
//! cannot stop: Ben moves the note while offline, Olga locks it meanwhile, and when Ben comes
//! back the server refuses his change (close 4009); his page drops its offline copy, reloads
//! and shows the note where the server has it. Last, a story map: locked for placement from
//! the Lock bar, it takes no story from Ben; with only its backbone locked it does, while its
//! activity still stays put; locked for placement again, the story cannot be taken out.

use anyhow::{Context, ensure};
use huddle_tests::browser::{self, Browser, modifiers};
use huddle_tests::person::{Person, READY};
use huddle_tests::server::TestServer;
use serde_json::json;

/// How far each drag in the test goes (screen px): far beyond the click slop.
const DRAG: [f64; 2] = [160.0, 90.0];

/// Olga: a fresh browser that creates the board from the home page (so she owns it) and
/// opens it; the board's id.
async fn owner(server: &TestServer) -> anyhow::Result<(Person, String)> {
    let browser = Browser::launch().await?;
    let page = browser.new_page(&server.http_url("/")).await?;
    let created = page
        .eval(
            "fetch('/api/boards', { method: 'POST', credentials: 'same-origin',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ title: 'Backbone' }) })
              .then(r => r.json())",
        )
        .await?;
    let board = created["id"]
        .as_str()
        .with_context(|| format!("POST /api/boards answered {created}"))?
        .to_owned();
    page.goto(&server.http_url(&format!("/b/{board}"))).await?;
    let olga = Person {
        name: "Olga",
        page,
        browser,
    };
    olga.wait("the board page to connect", READY).await?;
    ensure!(olga.page.eval("huddle.role()").await? == "owner");
    Ok((olga, board))
}

/// Ben: a fresh browser on the board's editor link.
async fn editor(server: &TestServer, olga: &Person, board: &str) -> anyhow::Result<Person> {
    let links = olga
        .page
        .eval(&format!(
            "fetch('/api/boards/{board}/access', {{ credentials: 'same-origin' }}).then(r => r.json())"
        ))
        .await?["links"]
        .clone();
    let link = links["editor"]
        .as_str()
        .with_context(|| format!("no editor link in {links}"))?;
    let browser = Browser::launch().await?;
    let page = browser.new_page(&server.http_url(link)).await?;
    let ben = Person {
        name: "Ben",
        page,
        browser,
    };
    ben.wait("the board page to connect", READY).await?;
    ensure!(ben.page.eval("huddle.role()").await? == "editor");
    Ok(ben)
}

/// Where `p`'s document has item `id`.
async fn pos(p: &Person, id: &str) -> anyhow::Result<[f64; 2]> {
    let items = p.items().await?;
    let pos = items
        .get(id)
        .with_context(|| format!("{} has no item {id}", p.name))?["pos"]
        .clone();
    serde_json::from_value(pos.clone()).with_context(|| format!("{id} is at {pos}"))
}

/// JavaScript: whether the page's document has item `id` at `at`.
fn at(id: &str, at: [f64; 2]) -> String {
    format!(
        "(() => {{ const p = huddle.snapshot().items[{}]?.pos;
            return !!p && Math.abs(p[0] - {}) < 0.01 && Math.abs(p[1] - {}) < 0.01; }})()",
        json!(id),
        at[0],
        at[1]
    )
}

/// Drags item `id` on `p`'s canvas by [`DRAG`].
async fn drag_note(p: &Person, id: &str) -> anyhow::Result<()> {
    let from = p.item_center(id).await?;
    p.page
        .drag(from, [from[0] + DRAG[0], from[1] + DRAG[1]])
        .await
}

/// JavaScript: whether `p`'s page has item `id` locked and drawn with a padlock.
fn locked(id: &str) -> String {
    format!(
        "(() => {{ const l = huddle.locks(); return !!l.locks[{id}] && l.marked.includes({id}); }})()",
        id = json!(id)
    )
}

/// Olga selects note `id` and presses Ctrl+Shift+L; both pages then show it locked.
async fn lock_with_keys(olga: &Person, others: &[&Person], id: &str) -> anyhow::Result<()> {
    let centre = olga.item_center(id).await?;
    olga.page.click_at(centre, 0).await?;
    olga.wait(
        "the note selected",
        &format!("huddle.selection()[0] === {}", json!(id)),
    )
    .await?;
    olga.wait(
        "the Lock button offered",
        "!document.querySelector('#lock-bar').hidden \
         && !document.querySelector('[data-lock=lock]').hidden",
    )
    .await?;
    olga.page
        .press("L", modifiers::CTRL | modifiers::SHIFT)
        .await?;
    for p in std::iter::once(olga).chain(others.iter().copied()) {
        p.wait("the note to be locked", &locked(id)).await?;
    }
    let by = olga
        .page
        .eval(&format!("huddle.locks().locks[{}].by", json!(id)))
        .await?;
    ensure!(by.as_str().is_some_and(|b| !b.is_empty()), "locked by {by}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_note_stays_put_for_an_editor_and_moves_for_the_owner() -> anyhow::Result<()> {
    browser::ensure_client_built()?;
    let (server, _data) = TestServer::start()?;
    let (olga, board) = owner(&server).await?;
    let ben = editor(&server, &olga, &board).await?;
    for p in [&olga, &ben] {
        p.page.eval("huddle.setCamera(0, 0, 1)").await?;
    }
    let note = olga
        .create_note(olga.canvas_point(-150.0, -60.0).await?)
        .await?;
    olga.type_text("Checkout backbone").await?;
    olga.end_edit().await?;
    ben.wait_text(&note, "Checkout backbone").await?;
    let start = pos(&olga, &note).await?;

    // Before the lock, Ben may move it (and Olga sees the move): the drag itself works.
    drag_note(&ben, &note).await?;
    ben.wait_saved().await?;
    let moved_once = pos(&ben, &note).await?;
    ensure!(moved_once != start, "Ben's drag did not move the note");
    olga.wait("Ben's move", &at(&note, moved_once)).await?;

    // Olga locks it; only she may change it now.
    lock_with_keys(&olga, &[&ben], &note).await?;
    ensure!(olga.page.eval("huddle.locks().privileged").await? == true);
    ensure!(ben.page.eval("huddle.locks().privileged").await? == false);
    ensure!(
        ben.page
            .eval("document.querySelector('#lock-bar').hidden")
            .await?
            == true,
        "Ben is offered the lock buttons"
    );

    // Ben's drag does nothing but say who locked it.
    ben.page.eval("window.__sameLoad = true").await?;
    drag_note(&ben, &note).await?;
    ben.wait(
        "the locked notice",
        "(() => { const n = document.querySelector('#notice');
            return !n.hidden && n.textContent.startsWith('Locked by'); })()",
    )
    .await?;
    // Hovering it says the same.
    let over = ben.item_center(&note).await?;
    ben.page.mouse_move(over).await?;
    ben.wait(
        "the padlock's tooltip",
        "document.querySelector('#board-canvas').title.startsWith('Locked by')",
    )
    .await?;
    // Give a wrongly sent move time to arrive anywhere.
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    ensure!(
        pos(&ben, &note).await? == moved_once,
        "Ben's page moved the locked note"
    );
    ensure!(
        pos(&olga, &note).await? == moved_once,
        "Olga's document has the locked note moved"
    );
    // Nothing was refused: Ben's page was not reloaded.
    ensure!(
        ben.page.eval("window.__sameLoad === true").await? == true,
        "Ben's page reloaded"
    );

    // Olga still moves it, and Ben sees the move.
    drag_note(&olga, &note).await?;
    olga.wait_saved().await?;
    let by_olga = pos(&olga, &note).await?;
    ensure!(by_olga != moved_once, "Olga could not move her locked note");
    ben.wait("Olga's move", &at(&note, by_olga)).await?;

    // Ctrl+Shift+L again unlocks it, and Ben may move it again.
    olga.page
        .press("L", modifiers::CTRL | modifiers::SHIFT)
        .await?;
    ben.wait(
        "the lock to go",
        &format!("!huddle.locks().locks[{}]", json!(note)),
    )
    .await?;
    drag_note(&ben, &note).await?;
    ben.wait_saved().await?;
    ensure!(
        pos(&ben, &note).await? != by_olga,
        "Ben could not move the unlocked note"
    );
    olga.assert_no_errors()?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_made_offline_to_a_note_locked_meanwhile_is_dropped_with_a_reload()
-> anyhow::Result<()> {
    browser::ensure_client_built()?;
    let (server, _data) = TestServer::start()?;
    let (olga, board) = owner(&server).await?;
    let ben = editor(&server, &olga, &board).await?;
    for p in [&olga, &ben] {
        p.page.eval("huddle.setCamera(0, 0, 1)").await?;
    }
    let note = olga
        .create_note(olga.canvas_point(-150.0, -60.0).await?)
        .await?;
    olga.type_text("Estimate me").await?;
    olga.end_edit().await?;
    ben.wait_text(&note, "Estimate me").await?;
    let start = pos(&olga, &note).await?;

    // Ben loses the network and moves the note; Olga locks it meanwhile.
    ben.page.set_offline(true).await?;
    ben.wait(
        "offline",
        "document.querySelector('#status')?.textContent === 'offline'",
    )
    .await?;
    drag_note(&ben, &note).await?;
    ensure!(
        pos(&ben, &note).await? != start,
        "Ben's offline drag did nothing"
    );
    lock_with_keys(&olga, &[], &note).await?;

    // Back online, Ben's page sends the move; the server refuses it and the page reloads
    // from the server (a fresh load: the marker is gone), with the note locked where it was.
    ben.page.eval("window.__sameLoad = true").await?;
    ben.page.set_offline(false).await?;
    ben.wait(
        "the page to reload",
        "window.__sameLoad === undefined && !!window.huddle",
    )
    .await?;
    ben.wait("the board page to connect", READY).await?;
    ben.wait(
        "the reloaded page to say why",
        "(() => { const n = document.querySelector('#notice');
            return !n.hidden && n.textContent.includes('locked item was not saved'); })()",
    )
    .await?;
    ben.wait("the lock", &locked(&note)).await?;
    ben.wait("the note where the server has it", &at(&note, start))
        .await?;
    ensure!(
        pos(&olga, &note).await? == start,
        "the refused move reached Olga"
    );
    // The reload does not repeat: the refused change went with the dropped offline copy.
    ben.page.eval("window.__sameLoad = true").await?;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    ensure!(
        ben.page.eval("window.__sameLoad === true").await? == true,
        "Ben's page reloaded again: the refused change is still in its copy"
    );
    ensure!(pos(&ben, &note).await? == start);
    Ok(())
}

/// JavaScript: the middle of the story map's cell under its first real step, in its first
/// real release (page coordinates).
const CELL: &str = "(() => { const s = huddle.storyMaps()[0].screen;
    const step = s.steps.find(p => p.id).rect; const row = s.releases.find(p => p.id).rect;
    return [step.x + step.w / 2, row.y + row.h / 2]; })()";

/// Drags note `id` on `p`'s canvas into the story map's cell.
async fn drag_into_cell(p: &Person, id: &str) -> anyhow::Result<()> {
    let from = p.item_center(id).await?;
    let to: [f64; 2] = serde_json::from_value(p.page.eval(CELL).await?)?;
    p.page.drag(from, to).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_story_map_locked_for_placement_takes_no_story_until_only_its_backbone_is_locked()
-> anyhow::Result<()> {
    browser::ensure_client_built()?;
    let (server, _data) = TestServer::start()?;
    let (olga, board) = owner(&server).await?;
    let ben = editor(&server, &olga, &board).await?;
    for p in [&olga, &ben] {
        p.page.eval("huddle.setCamera(0, 0, 0.6)").await?;
    }
    // Two free notes on the left, then a story map (M) in the middle of Olga's view.
    let mut notes = Vec::new();
    for dy in [-120.0, 120.0] {
        let id = olga
            .create_note(olga.canvas_point(-330.0, dy).await?)
            .await?;
        olga.end_edit().await?;
        notes.push(id);
    }
    olga.page.press("m", 0).await?;
    olga.end_edit().await?;
    for p in [&olga, &ben] {
        p.wait(
            "the story map",
            "huddle.storyMaps().length === 1 && huddle.storyMaps()[0].screen.steps.some(s => s.id)",
        )
        .await?;
        for id in &notes {
            p.wait(
                "the notes",
                &format!("!!huddle.snapshot().items[{}]", json!(id)),
            )
            .await?;
        }
    }
    let map = olga.page.eval("huddle.storyMaps()[0].id").await?;
    let map = map.as_str().context("map id")?.to_owned();
    let backbone: Vec<String> = serde_json::from_value(
        olga.page
            .eval(
                "(() => { const s = huddle.storyMaps()[0].screen;
                    return [...s.activities, ...s.steps, ...s.releases]
                        .map(p => p.id).filter(id => id); })()",
            )
            .await?,
    )?;
    ensure!(backbone.len() == 3, "backbone {backbone:?}");

    // Olga selects the map by its title row and locks it for placement from the bar.
    let title = olga
        .page
        .eval("(() => { const t = huddle.storyMaps()[0].screen.title; return [t.x + 20, t.y + t.h / 2]; })()")
        .await?;
    olga.page
        .click_at(serde_json::from_value(title)?, 0)
        .await?;
    olga.wait(
        "the map selected",
        &format!("huddle.selection()[0] === {}", json!(map)),
    )
    .await?;
    olga.wait(
        "the map's lock buttons",
        "!document.querySelector('#lock-bar').hidden \
         && !document.querySelector('[data-lock=placement]').hidden",
    )
    .await?;
    olga.page.click("[data-lock=placement]").await?;
    for p in [&olga, &ben] {
        p.wait(
            "the placement lock",
            &format!("huddle.locks().locks[{}]?.placement === true", json!(map)),
        )
        .await?;
        for id in &backbone {
            p.wait("the backbone's padlocks", &locked(id)).await?;
        }
    }

    // Ben cannot place a story into it: the note stays free, and he is told why (by his page:
    // nothing was sent, refused and reloaded).
    ben.page.eval("window.__sameLoad = true").await?;
    drag_into_cell(&ben, &notes[0]).await?;
    ben.wait(
        "the locked notice",
        "(() => { const n = document.querySelector('#notice');
            return !n.hidden && n.textContent.startsWith('Locked by'); })()",
    )
    .await?;
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    for p in [&olga, &ben] {
        let place = p
            .page
            .eval(&format!(
                "huddle.snapshot().items[{}].place",
                json!(notes[0])
            ))
            .await?;
        ensure!(place.is_null(), "{} has the note placed: {place}", p.name);
    }

    ensure!(
        ben.page.eval("window.__sameLoad === true").await? == true,
        "Ben's page reloaded"
    );

    // Olga keeps only the backbone locked; now Ben's story goes into the cell.
    olga.page.click("[data-lock=backbone]").await?;
    ben.wait(
        "the placement lock to go",
        &format!("huddle.locks().locks[{}]?.placement === false", json!(map)),
    )
    .await?;
    drag_into_cell(&ben, &notes[1]).await?;
    for p in [&olga, &ben] {
        p.wait(
            "the story in the map",
            &format!(
                "huddle.snapshot().items[{}].place?.map === {}",
                json!(notes[1]),
                json!(map)
            ),
        )
        .await?;
    }
    // The backbone itself stays put for Ben: dragging the activity card does nothing but say
    // who locked it.
    let card = ben
        .page
        .eval("(() => { const r = huddle.storyMaps()[0].screen.activities.find(p => p.id).rect; return [r.x + r.w / 2, r.y + r.h / 2]; })()")
        .await?;
    let card: [f64; 2] = serde_json::from_value(card)?;
    let rank_before = olga
        .page
        .eval(&format!(
            "JSON.stringify(huddle.snapshot().items[{}])",
            json!(backbone[0])
        ))
        .await?;
    ben.page
        .eval("document.querySelector('#notice').hidden = true")
        .await?;
    ben.page.drag(card, [card[0] + 300.0, card[1]]).await?;
    ben.wait(
        "the locked notice for the activity",
        "(() => { const n = document.querySelector('#notice');
            return !n.hidden && n.textContent.startsWith('Locked by'); })()",
    )
    .await?;
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    for p in [&olga, &ben] {
        let now = p
            .page
            .eval(&format!(
                "JSON.stringify(huddle.snapshot().items[{}])",
                json!(backbone[0])
            ))
            .await?;
        ensure!(
            now == rank_before,
            "{} has the locked activity moved",
            p.name
        );
    }
    ensure!(
        ben.page.eval("window.__sameLoad === true").await? == true,
        "Ben's page reloaded"
    );

    // Locked for placement again: the story that went in cannot be taken out by Ben.
    olga.page.click("[data-lock=placement]").await?;
    ben.wait(
        "the placement lock",
        &format!("huddle.locks().locks[{}]?.placement === true", json!(map)),
    )
    .await?;
    let story = ben
        .page
        .eval(&format!(
            "(() => {{ const r = huddle.storyMaps()[0].screen.stories.find(s => s.id === {}).rect;
                return [r.x + r.w / 2, r.y + r.h / 2]; }})()",
            json!(notes[1])
        ))
        .await?;
    let story: [f64; 2] = serde_json::from_value(story)?;
    ben.page
        .eval("document.querySelector('#notice').hidden = true")
        .await?;
    ben.page.drag(story, [story[0] - 400.0, story[1]]).await?;
    ben.wait(
        "the locked notice for the story",
        "(() => { const n = document.querySelector('#notice');
            return !n.hidden && n.textContent.startsWith('Locked by'); })()",
    )
    .await?;
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    for p in [&olga, &ben] {
        let place = p
            .page
            .eval(&format!(
                "huddle.snapshot().items[{}].place?.map",
                json!(notes[1])
            ))
            .await?;
        ensure!(place == json!(map), "{} has the story out: {place}", p.name);
    }
    ensure!(
        ben.page.eval("window.__sameLoad === true").await? == true,
        "Ben's page reloaded"
    );
    olga.assert_no_errors()?;
    Ok(())
}
