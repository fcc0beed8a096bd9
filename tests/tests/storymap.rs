//! Story maps on the canvas in real headless Chromium against the real server, driven with
//! real mouse and key events: make a map with `M`, grow it with its "+" buttons, drag notes
//! into cells, within cells, across steps and slices and out again, reorder activities and
//! slices, collapse a slice; and two people moving stories at the same moment, then the
//! map's CSV export imported back through the board menu.
//!
//! The canvas has no elements, so the tests read `window.huddle.storyMaps()`: each map's
//! structure and where the page draws its parts, stories and buttons in page coordinates,
//! and aim the mouse there. Needs the built client and Chromium: `cargo xtask test`.

use std::collections::BTreeSet;

use anyhow::{Context, ensure};
use huddle_shared::export::Outline;
use huddle_shared::model::{StoryFields, StoryType};
use huddle_shared::storymap::StoryMap;
use huddle_tests::browser;
use huddle_tests::client::{Client, WAIT};
use huddle_tests::http;
use huddle_tests::person::Person;
use huddle_tests::server::TestServer;
use serde_json::{Value, json};

/// The board page is up and connected.
const READY_ON_BOARD: &str = huddle_tests::person::READY;
/// The zoom the tests work at: a map with three columns and a few rows fits the window.
const ZOOM: f64 = 0.6;

/// A person on `board` at [`ZOOM`].
async fn join(name: &'static str, server: &TestServer, board: &str) -> anyhow::Result<Person> {
    let person = Person::join(name, server, board).await?;
    person
        .page
        .eval(&format!("huddle.setCamera(0, 0, {ZOOM})"))
        .await?;
    Ok(person)
}

/// What these tests do at a story map on top of [`Person`].
trait Mapping {
    async fn map(&self) -> anyhow::Result<Value>;
    async fn note(&self, at: [f64; 2], text: &str) -> anyhow::Result<String>;
    async fn rename(&self, text: &str) -> anyhow::Result<()>;
    async fn wait_map(&self, what: &str, js: &str) -> anyhow::Result<Value>;
}

impl Mapping for Person {
    /// The first story map as the page sees it (with `screen`).
    async fn map(&self) -> anyhow::Result<Value> {
        let maps = self.page.eval("huddle.storyMaps()").await?;
        maps.get(0)
            .cloned()
            .with_context(|| format!("{} shows no story map: {maps}", self.name))
    }

    /// Double-clicks empty canvas at `at`, types `text` into the new note, ends editing.
    async fn note(&self, at: [f64; 2], text: &str) -> anyhow::Result<String> {
        let id = self.create_note(at).await?;
        self.page.type_into("#note-editor", text).await?;
        self.end_edit().await?;
        Ok(id)
    }

    /// Replaces the text in the open editor with `text` (as a paste over a selection).
    async fn rename(&self, text: &str) -> anyhow::Result<()> {
        self.page
            .eval(
                "(() => { const el = document.querySelector('#note-editor');
                          el.focus(); el.select(); return document.activeElement === el; })()",
            )
            .await?;
        self.page
            .call("Input.insertText", json!({ "text": text }))
            .await?;
        Ok(())
    }

    /// Waits until `js` (an expression over `m`, the first map) holds.
    async fn wait_map(&self, what: &str, js: &str) -> anyhow::Result<Value> {
        self.wait(
            what,
            &format!("(() => {{ const m = huddle.storyMaps()[0]; return !!m && ({js}); }})()"),
        )
        .await?;
        self.map().await
    }
}

fn rect(v: &Value) -> anyhow::Result<[f64; 4]> {
    Ok([
        v["x"].as_f64().context("x")?,
        v["y"].as_f64().context("y")?,
        v["w"].as_f64().context("w")?,
        v["h"].as_f64().context("h")?,
    ])
}

fn center(v: &Value) -> anyhow::Result<[f64; 2]> {
    let [x, y, w, h] = rect(v)?;
    Ok([x + w / 2.0, y + h / 2.0])
}

/// Where story `id` is drawn (page coordinates).
fn story_rect(map: &Value, id: &str) -> anyhow::Result<[f64; 4]> {
    let stories = map["screen"]["stories"].as_array().context("no stories")?;
    let story = stories
        .iter()
        .find(|s| s["id"] == json!(id))
        .with_context(|| format!("story {id} is not drawn: {stories:?}"))?;
    rect(&story["rect"])
}

/// The middle of the empty top of cell (step `step`, release band `band`), for a drop.
fn cell_point(map: &Value, step: usize, band: usize) -> anyhow::Result<[f64; 2]> {
    let s = rect(&map["screen"]["steps"][step]["rect"])?;
    let b = rect(&map["screen"]["releases"][band]["rect"])?;
    Ok([s[0] + s[2] / 2.0, b[1] + 12.0])
}

/// The ids in the cell of step `step` of activity `activity` and release row `row`.
fn cell(map: &Value, activity: usize, step: usize, row: usize) -> Vec<String> {
    map["activities"][activity]["steps"][step]["cells"][row]
        .as_array()
        .map(|c| {
            c.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A JS predicate: cell (activity, step, row) of `m` is exactly `ids`.
fn cell_is(activity: usize, step: usize, row: usize, ids: &[&str]) -> String {
    format!(
        "JSON.stringify(m.activities[{activity}]?.steps[{step}]?.cells[{row}]) === {}",
        json!(serde_json::to_string(ids).unwrap_or_default())
    )
}

/// `v` with every number as a float (JavaScript writes `0` where Rust writes `0.0`).
fn floats(v: Value) -> Value {
    match v {
        Value::Number(n) => json!(n.as_f64().unwrap_or(f64::NAN)),
        Value::Array(a) => Value::Array(a.into_iter().map(floats).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, floats(v))).collect()),
        other => other,
    }
}

/// Test 1: one person builds a map with `M` and the "+" buttons, drags notes into, within,
/// across and out of it, reorders activities and slices, and collapses a slice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_map_is_built_and_rearranged_with_the_mouse() -> anyhow::Result<()> {
    browser::ensure_client_built()?;
    let (server, _data) = TestServer::start()?;
    let board = http::create_board(server.addr(), "Story map").await?;
    let a = join("A", &server, &board).await?;

    // Two free notes left of where the map will be.
    let s1 = a
        .note(a.canvas_point(-480.0, -200.0).await?, "Search")
        .await?;
    let s2 = a.note(a.canvas_point(-480.0, 100.0).await?, "Pay").await?;

    // M makes a map with one activity, one step and MVP, and opens its title.
    a.page.press("m", 0).await?;
    let map = a
        .wait_map("the new map", "m.activities.length === 1")
        .await?;
    a.wait(
        "the map title's editor",
        &format!("huddle.editing() === {}", map["id"]),
    )
    .await?;
    a.end_edit().await?;
    ensure!(
        map["releases"][0]["name"] == "MVP"
            && map["activities"][0]["steps"].as_array().map(Vec::len) == Some(1),
        "the new map is {map}"
    );

    // "+" after the last activity: a new activity, named by typing.
    a.page
        .click_at(center(&map["screen"]["addActivity"])?, 0)
        .await?;
    let map = a
        .wait_map("a second activity", "m.activities.length === 2")
        .await?;
    let second = map["activities"][1]["id"].clone();
    a.wait(
        "its name's editor",
        &format!("huddle.editing() === {second}"),
    )
    .await?;
    a.rename("Checkout").await?;
    a.end_edit().await?;
    // "+" on the first activity: a second step; "+ Slice": a second release slice.
    a.page
        .click_at(center(&map["screen"]["addSteps"][0]["rect"])?, 0)
        .await?;
    a.wait_map("a second step", "m.activities[0].steps.length === 2")
        .await?;
    a.end_edit().await?;
    let map = a.map().await?;
    a.page
        .click_at(center(&map["screen"]["addRelease"])?, 0)
        .await?;
    let map = a
        .wait_map(
            "a second slice",
            "m.releases.length === 3 && m.activities[1].name === 'Checkout'",
        )
        .await?;
    a.end_edit().await?;
    ensure!(map["releases"][2]["id"].is_null(), "the last row is {map}");

    // A free note dragged into the first cell (step 0, MVP).
    let note_at = |id: &str| {
        format!(
            "(() => {{ const i = huddle.snapshot().items[{}]; const c = huddle.worldToClient(i.pos[0] + i.size[0] / 2, i.pos[1] + i.size[1] / 2); return c; }})()",
            json!(id)
        )
    };
    let at: [f64; 2] = serde_json::from_value(a.page.eval(&note_at(&s1)).await?)?;
    a.page.drag(at, cell_point(&map, 0, 0)?).await?;
    let map = a
        .wait_map("Search in the first cell", &cell_is(0, 0, 0, &[&s1]))
        .await?;
    // The second note dropped below it in the same cell.
    let at: [f64; 2] = serde_json::from_value(a.page.eval(&note_at(&s2)).await?)?;
    let r1 = story_rect(&map, &s1)?;
    a.page
        .drag(at, [r1[0] + r1[2] / 2.0, r1[1] + r1[3] + 6.0])
        .await?;
    let map = a
        .wait_map("Pay below Search", &cell_is(0, 0, 0, &[&s1, &s2]))
        .await?;
    // Up within its cell: above Search.
    let r1 = story_rect(&map, &s1)?;
    let r2 = story_rect(&map, &s2)?;
    a.page
        .drag(
            [r2[0] + r2[2] / 2.0, r2[1] + r2[3] / 2.0],
            [r1[0] + r1[2] / 2.0, r1[1] + 3.0],
        )
        .await?;
    let map = a
        .wait_map("Pay above Search", &cell_is(0, 0, 0, &[&s2, &s1]))
        .await?;
    // To another step and slice: step 1 of the first activity, second slice.
    let r1 = story_rect(&map, &s1)?;
    a.page
        .drag(
            [r1[0] + r1[2] / 2.0, r1[1] + r1[3] / 2.0],
            cell_point(&map, 1, 1)?,
        )
        .await?;
    let map = a
        .wait_map(
            "Search in step 2, slice 2",
            &format!(
                "{} && {}",
                cell_is(0, 1, 1, &[&s1]),
                cell_is(0, 0, 0, &[&s2])
            ),
        )
        .await?;

    // Activities reordered: "Checkout" dragged before the first activity.
    let first = rect(&map["screen"]["activities"][0]["rect"])?;
    let checkout = rect(&map["screen"]["activities"][1]["rect"])?;
    a.page
        .drag(
            [checkout[0] + 20.0, checkout[1] + checkout[3] / 2.0],
            [first[0] + 5.0, first[1] + first[3] / 2.0],
        )
        .await?;
    let map = a
        .wait_map("Checkout first", "m.activities[0].name === 'Checkout'")
        .await?;
    // Slices reordered: the second slice dragged above MVP by its label.
    let mvp = rect(&map["screen"]["releases"][0]["rect"])?;
    let second = rect(&map["screen"]["releases"][1]["rect"])?;
    let second_name = map["releases"][1]["name"].clone();
    a.page
        .drag(
            [second[0] + 20.0, second[1] + second[3] - 10.0],
            [mvp[0] + 20.0, mvp[1] + 3.0],
        )
        .await?;
    let map = a
        .wait_map(
            "the second slice first",
            &format!("m.releases[0].name === {second_name} && m.releases[1].name === 'MVP'"),
        )
        .await?;

    // Collapsing the slice that holds Search hides it; expanding shows it again.
    let release_of_s1 = map["releases"]
        .as_array()
        .and_then(|rs| {
            (0..rs.len()).find(|r| {
                map["activities"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|a| a["steps"].as_array().into_iter().flatten())
                    .any(|s| {
                        s["cells"][*r]
                            .as_array()
                            .is_some_and(|c| c.contains(&json!(s1)))
                    })
            })
        })
        .context("Search is in no slice")?;
    let release_id = map["releases"][release_of_s1]["id"].clone();
    let chevron = map["screen"]["chevrons"]
        .as_array()
        .and_then(|cs| {
            cs.iter()
                .find(|c| c["activity"] == json!(false) && c["id"] == release_id)
        })
        .context("no chevron for the slice")?
        .clone();
    a.page.click_at(center(&chevron["rect"])?, 0).await?;
    a.wait_map(
        "Search hidden",
        &format!(
            "m.screen.hidden.includes({}) && !m.screen.stories.some(s => s.id === {})",
            json!(s1),
            json!(s1)
        ),
    )
    .await?;
    a.page.click_at(center(&chevron["rect"])?, 0).await?;
    let map = a
        .wait_map(
            "Search shown again",
            &format!("m.screen.stories.some(s => s.id === {})", json!(s1)),
        )
        .await?;

    // Pay dragged out onto the free canvas: a free note again, where it was dropped.
    let r2 = story_rect(&map, &s2)?;
    let out = a.canvas_point(-480.0, 250.0).await?;
    a.page
        .drag([r2[0] + r2[2] / 2.0, r2[1] + r2[3] / 2.0], out)
        .await?;
    a.wait(
        "Pay back on the canvas",
        &format!(
            "(() => {{ const i = huddle.snapshot().items[{}]; return !!i && !i.place; }})()",
            json!(s2)
        ),
    )
    .await?;
    let at: [f64; 2] = serde_json::from_value(a.page.eval(&note_at(&s2)).await?)?;
    let (dx, dy) = (at[0] - out[0], at[1] - out[1]);
    // The note's middle stays where its card's middle was dragged to (cards are smaller).
    ensure!(
        dx.abs() < 100.0 && dy.abs() < 100.0,
        "Pay landed at {at:?}, dragged to {out:?}"
    );
    // The page lays the map out on its next frame.
    a.wait_map(
        "Pay gone from the map",
        &format!("!JSON.stringify(m).includes({})", json!(s2)),
    )
    .await?;
    let errors = a.page.errors();
    ensure!(errors.is_empty(), "A logged errors: {errors:#?}");
    Ok(())
}

/// Test 2: two people each drag a different story at the same moment; both pages and a
/// fresh replica of the server's board end with the same map, every story exactly once.
/// Then the map goes out as CSV from the board menu and comes back in as a new board with an
/// equal map; a malformed file is refused with its line and creates nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_moves_converge_and_round_trip_through_csv() -> anyhow::Result<()> {
    browser::ensure_client_built()?;
    let (server, _data) = TestServer::start()?;
    let board = http::create_board(server.addr(), "Together").await?;
    // The map is made by a Rust replica: three steps, "one" and "two" under Find, "three"
    // under Buy, all in MVP. Both people drag the top story of a cell into the empty cell
    // of Pay: neither move shifts what the other aims at, whichever lands first.
    let rust = Client::join(&server.ws_url(&board)).await?;
    let stories: Vec<String> = rust.edit(|b, txn| -> anyhow::Result<Vec<String>> {
        let map = b.create_story_map(txn, [-300.0, -300.0], "Shared", "R", 0.0)?;
        let act = b.add_activity(txn, &map, None, "Shop", "R", 0.0)?;
        let find = b.add_step(txn, &act, None, "Find", "R", 0.0)?;
        let buy = b.add_step(txn, &act, None, "Buy", "R", 0.0)?;
        b.add_step(txn, &act, None, "Pay", "R", 0.0)?;
        let mvp = b.add_release(txn, &map, None, "MVP", "R", 0.0)?;
        let mut ids = Vec::new();
        for (text, step) in [("one", &find), ("two", &find), ("three", &buy)] {
            let id = b.create_note(
                txn,
                huddle_shared::model::NewNote {
                    text: text.into(),
                    ..Default::default()
                },
            )?;
            b.set_story_fields(
                txn,
                &id,
                &StoryFields {
                    estimate: Some(ids.len() as f64 + 1.0),
                    story_type: Some(StoryType::ALL[ids.len()]),
                    persona: Some("Shopper".into()),
                    ..StoryFields::default()
                },
            )?;
            b.place_story(txn, &id, step, Some(&mvp), None)?;
            ids.push(id);
        }
        Ok(ids)
    })?;
    rust.save().await?;

    let a = join("A", &server, &board).await?;
    let b = join("B", &server, &board).await?;
    let shown = "m.screen.stories.length === 3";
    let map_a = a.wait_map("the map", shown).await?;
    let map_b = b.wait_map("the map", shown).await?;

    // A moves "one" and B moves "three" to (Pay, MVP), at the same time.
    let r_one = story_rect(&map_a, &stories[0])?;
    let r_three = story_rect(&map_b, &stories[2])?;
    let (moved_a, moved_b) = tokio::join!(
        a.page.drag(
            [r_one[0] + r_one[2] / 2.0, r_one[1] + r_one[3] / 2.0],
            cell_point(&map_a, 2, 0)?,
        ),
        b.page.drag(
            [r_three[0] + r_three[2] / 2.0, r_three[1] + r_three[3] / 2.0],
            cell_point(&map_b, 2, 0)?,
        ),
    );
    moved_a?;
    moved_b?;

    let done = format!(
        "(() => {{ const c = m.activities[0].steps[2].cells[0];
                   return c.length === 2 && c.includes({}) && c.includes({}); }})() && {} && {}",
        json!(stories[0]),
        json!(stories[2]),
        cell_is(0, 0, 0, &[&stories[1]]),
        cell_is(0, 1, 0, &[]),
    );
    let mut seen = Vec::new();
    for person in [&a, &b] {
        let mut map = person.wait_map("both moves", &done).await?;
        if let Some(m) = map.as_object_mut() {
            m.remove("screen");
        }
        seen.push(floats(map));
    }
    ensure!(
        seen[0] == seen[1],
        "A shows {}, B shows {}",
        seen[0],
        seen[1]
    );

    let fresh = Client::join(&server.ws_url(&board)).await?;
    let snapshot = fresh
        .wait_until(|s| {
            StoryMap::all(s).first().is_some_and(|m| {
                let pay = cell(&serde_json::to_value(m).unwrap_or_default(), 0, 2, 0);
                pay.len() == 2 && pay.contains(&stories[0]) && pay.contains(&stories[2])
            })
        })
        .await?;
    let maps = StoryMap::all(&snapshot);
    ensure!(maps.len() == 1, "the server has {} maps", maps.len());
    let placed: Vec<&str> = maps[0].stories_in_order().map(|(.., id)| id).collect();
    let unique: BTreeSet<&str> = placed.iter().copied().collect();
    ensure!(
        placed.len() == 3 && unique.len() == 3,
        "the stories are {placed:?}"
    );
    ensure!(
        floats(serde_json::to_value(&maps[0])?) == seen[0],
        "the server's map {} differs from the pages' {}",
        serde_json::to_value(&maps[0])?,
        seen[0]
    );

    // What B sees, with a story's details open, for people to look at.
    let pay = story_rect(&b.map().await?, &stories[2])?;
    b.page
        .click_at([pay[0] + pay[2] / 2.0, pay[1] + pay[3] / 2.0], 0)
        .await?;
    b.page.press("i", 0).await?;
    b.wait(
        "B's story panel",
        "!document.querySelector('#story-panel').hidden",
    )
    .await?;
    let shot = huddle_tests::workspace_root().join("tests/artifacts/storymap.png");
    b.page.screenshot(&shot).await?;

    // A exports the map as CSV from the board menu, then imports that file from the menu:
    // a new board opens with an equal map (same slices, activities, steps and stories in the
    // same order with the same fields; the title is the file's name).
    let downloads = tempfile::tempdir()?;
    a.page.allow_downloads(downloads.path()).await?;
    a.page.click("#board-menu-button").await?;
    a.page.click("[data-export=csv]").await?;
    let file = downloads.path().join("together.csv");
    let deadline = std::time::Instant::now() + WAIT;
    let csv = loop {
        match std::fs::read_to_string(&file) {
            Ok(text) if text.contains("Shopper") => break text,
            _ if std::time::Instant::now() > deadline => {
                anyhow::bail!("no export in {}", downloads.path().display())
            }
            _ => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    };
    ensure!(
        csv.starts_with("Issue Id,") || csv.contains("Summary"),
        "not a Jira CSV: {csv}"
    );
    let boards_before = http::get(server.addr(), "/api/boards").await?.json()?;
    a.page.click("#board-menu-button").await?;
    a.page.click("[data-import=csv]").await?;
    a.page
        .set_input_files("#import-file", &[file.as_path()])
        .await?;
    let path = a
        .wait(
            "the imported board to open",
            &format!(
                "location.pathname !== {} && location.pathname.startsWith('/b/') && window.huddle && location.pathname",
                json!(format!("/b/{board}"))
            ),
        )
        .await?;
    let new_board = path
        .as_str()
        .and_then(|p| p.strip_prefix("/b/"))
        .context("the page is not on a board")?
        .to_owned();
    let imported = Client::join(&server.ws_url(&new_board)).await?.snapshot();
    let mut want = Outline::all(&snapshot);
    let mut got = Outline::all(&imported);
    ensure!(got.len() == 1, "the import made {} maps", got.len());
    want[0].title = got[0].title.clone();
    ensure!(
        got == want,
        "the imported map {:?} differs from the exported {:?}",
        got.pop(),
        want.pop()
    );

    // A malformed file is refused with its line and column, and creates no board.
    let bad = downloads.path().join("broken.csv");
    std::fs::write(&bad, "Summary,Story Points\nLogin,3\n\"Unclosed,5\n")?;
    a.wait(READY_ON_BOARD, READY_ON_BOARD).await?;
    a.page.click("#board-menu-button").await?;
    a.page.click("[data-import=csv]").await?;
    a.page
        .set_input_files("#import-file", &[bad.as_path()])
        .await?;
    let said = a
        .wait(
            "the import error",
            "(() => { const m = document.querySelector('#board-menu-message');
                      return !m.hidden && m.textContent.includes('line') && m.textContent; })()",
        )
        .await?;
    ensure!(
        said.as_str().is_some_and(|t| t.contains("line 3")),
        "the error does not name line 3: {said}"
    );
    let boards_after = http::get(server.addr(), "/api/boards").await?.json()?;
    ensure!(
        boards_after.as_array().map(Vec::len) == boards_before.as_array().map(|b| b.len() + 1),
        "boards before {boards_before}, after {boards_after}: only the good import is new"
    );
    for person in [&a, &b] {
        let errors = person.page.errors();
        ensure!(
            errors.is_empty(),
            "{} logged errors: {errors:#?}",
            person.name
        );
    }
    Ok(())
}

/// Test 3: a story's title is edited in place; a slice is collapsed with `E`; a drag out of
/// the map is one undo step; a slice is renamed; an activity and then the map are deleted
/// (the story survives both).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stories_and_parts_are_edited_undone_and_deleted() -> anyhow::Result<()> {
    browser::ensure_client_built()?;
    let (server, _data) = TestServer::start()?;
    let board = http::create_board(server.addr(), "Edits").await?;
    let rust = Client::join(&server.ws_url(&board)).await?;
    let (story, mvp, checkout) = rust.edit(|b, txn| -> anyhow::Result<_> {
        let map = b.create_story_map(txn, [-300.0, -300.0], "Shop", "R", 0.0)?;
        let browse = b.add_activity(txn, &map, None, "Browse", "R", 0.0)?;
        let search = b.add_step(txn, &browse, None, "Search", "R", 0.0)?;
        let checkout = b.add_activity(txn, &map, None, "Checkout", "R", 0.0)?;
        b.add_step(txn, &checkout, None, "Pay", "R", 0.0)?;
        let mvp = b.add_release(txn, &map, None, "MVP", "R", 0.0)?;
        let story = b.create_note(
            txn,
            huddle_shared::model::NewNote {
                text: "Find shoes".into(),
                ..Default::default()
            },
        )?;
        b.set_story_fields(
            txn,
            &story,
            &huddle_shared::model::StoryFields {
                estimate: Some(5.0),
                story_type: Some(huddle_shared::model::StoryType::TechDebt),
                ..Default::default()
            },
        )?;
        b.place_story(txn, &story, &search, Some(&mvp), None)?;
        Ok((story, mvp, checkout))
    })?;
    rust.save().await?;
    let a = join("A", &server, &board).await?;
    let map = a
        .wait_map("the map", "m.screen.stories.length === 1")
        .await?;
    ensure!(
        map["release_totals"][0]["points"] == json!(5)
            && map["release_totals"][0]["tech_debt_points"] == json!(5),
        "the MVP totals are {}",
        map["release_totals"][0]
    );

    // Double-click the story: its title in the note editor, over its card.
    let r = story_rect(&map, &story)?;
    let middle = [r[0] + r[2] / 2.0, r[1] + r[3] / 2.0];
    a.page.double_click_at(middle).await?;
    a.wait(
        "the story's editor",
        &format!("huddle.editing() === {}", json!(story)),
    )
    .await?;
    a.page.type_into("#note-editor", " fast").await?;
    a.end_edit().await?;
    a.wait(
        "the new title",
        &format!(
            "huddle.snapshot().items[{}].text === 'Find shoes fast'",
            json!(story)
        ),
    )
    .await?;

    // Select the MVP slice by its label; E collapses it, E again expands it.
    let band = rect(&map["screen"]["releases"][0]["rect"])?;
    let label = [band[0] + 20.0, band[1] + band[3] - 10.0];
    a.page.click_at(label, 0).await?;
    a.wait(
        "MVP selected",
        &format!("JSON.stringify(huddle.selection()) === '[{}]'", json!(mvp)),
    )
    .await?;
    a.page.press("e", 0).await?;
    a.wait_map(
        "MVP collapsed",
        "m.screen.stories.length === 0 && m.screen.hidden.length === 1",
    )
    .await?;
    a.page.press("e", 0).await?;
    let map = a
        .wait_map("MVP expanded", "m.screen.stories.length === 1")
        .await?;

    // Dragged out onto the canvas, then Ctrl+Z: back in its cell in one step.
    let r = story_rect(&map, &story)?;
    let out = a.canvas_point(-500.0, 250.0).await?;
    a.page
        .drag([r[0] + r[2] / 2.0, r[1] + r[3] / 2.0], out)
        .await?;
    let free = format!("!huddle.snapshot().items[{}].place", json!(story));
    a.wait("the story out of the map", &free).await?;
    a.page.press("z", browser::modifiers::CTRL).await?;
    let map = a
        .wait_map("the story back", "m.screen.stories.length === 1")
        .await?;

    // Double-click the slice's label: rename it.
    a.page.double_click_at(label).await?;
    a.wait(
        "the slice's editor",
        &format!("huddle.editing() === {}", json!(mvp)),
    )
    .await?;
    a.rename("Beta").await?;
    a.end_edit().await?;
    a.wait_map("the slice renamed", "m.releases[0].name === 'Beta'")
        .await?;

    // Select Checkout by its card and delete it: its step goes, the story stays.
    let card = rect(&map["screen"]["activities"][1]["rect"])?;
    a.page
        .click_at([card[0] + 20.0, card[1] + card[3] / 2.0], 0)
        .await?;
    a.wait(
        "Checkout selected",
        &format!(
            "JSON.stringify(huddle.selection()) === '[{}]'",
            json!(checkout)
        ),
    )
    .await?;
    a.page.press("Delete", 0).await?;
    let map = a
        .wait_map(
            "Checkout deleted",
            "m.activities.length === 1 && m.screen.stories.length === 1",
        )
        .await?;

    // Double-click the empty cell (Search, Unscheduled): a new story there.
    let cell_at = cell_point(&map, 0, 1)?;
    a.page
        .double_click_at([cell_at[0], cell_at[1] + 20.0])
        .await?;
    let card = a
        .wait("a new story's editor", "huddle.editing()")
        .await?
        .as_str()
        .context("editing() is not an id")?
        .to_owned();
    a.page.type_into("#note-editor", "Card").await?;
    a.end_edit().await?;
    let map = a
        .wait_map("the new story in its cell", &cell_is(0, 0, 1, &[&card]))
        .await?;

    // Drag the map by its title: its origin moves, its stories stay in their cells.
    let origin: [f64; 2] = serde_json::from_value(map["origin"].clone())?;
    let title = rect(&map["screen"]["title"])?;
    let grab = [title[0] + 40.0, title[1] + title[3] / 2.0];
    a.page.drag(grab, [grab[0] + 60.0, grab[1] + 30.0]).await?;
    let map = a
        .wait_map(
            "the map moved",
            &format!(
                "m.origin[0] !== {} && m.screen.stories.length === 2",
                origin[0]
            ),
        )
        .await?;
    let moved: [f64; 2] = serde_json::from_value(map["origin"].clone())?;
    ensure!(
        (moved[0] - origin[0] - 60.0 / ZOOM).abs() < 2.0
            && (moved[1] - origin[1] - 30.0 / ZOOM).abs() < 2.0,
        "the map moved from {origin:?} to {moved:?}, not by (60, 30) px"
    );

    // Select the map by its title and delete it: the story is a free note where it was.
    let title = rect(&map["screen"]["title"])?;
    a.page
        .click_at([title[0] + 40.0, title[1] + title[3] / 2.0], 0)
        .await?;
    a.page.press("Delete", 0).await?;
    a.wait("the map deleted", "huddle.storyMaps().length === 0")
        .await?;
    let item = a
        .page
        .eval(&format!("huddle.snapshot().items[{}]", json!(story)))
        .await?;
    ensure!(
        item["text"] == "Find shoes fast" && item.get("place").is_none(),
        "the story after the map went: {item}"
    );
    let errors = a.page.errors();
    ensure!(errors.is_empty(), "A logged errors: {errors:#?}");
    Ok(())
}

/// Others see an activity, step or slice card move while it is dragged (a ghost, through
/// presence), not only where it lands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn others_see_a_slice_dragged_live() -> anyhow::Result<()> {
    browser::ensure_client_built()?;
    let (server, _data) = TestServer::start()?;
    let board = http::create_board(server.addr(), "Live").await?;
    let rust = Client::join(&server.ws_url(&board)).await?;
    let later = rust.edit(|b, txn| -> anyhow::Result<String> {
        let map = b.create_story_map(txn, [-300.0, -300.0], "Live", "R", 0.0)?;
        let act = b.add_activity(txn, &map, None, "Shop", "R", 0.0)?;
        b.add_step(txn, &act, None, "Find", "R", 0.0)?;
        b.add_release(txn, &map, None, "MVP", "R", 0.0)?;
        Ok(b.add_release(txn, &map, None, "Later", "R", 0.0)?)
    })?;
    rust.save().await?;
    let a = join("A", &server, &board).await?;
    let b = join("B", &server, &board).await?;
    let map = a.wait_map("the map", "m.releases.length === 3").await?;
    b.wait_map("the map", "m.releases.length === 3").await?;

    let mvp = rect(&map["screen"]["releases"][0]["rect"])?;
    let second = rect(&map["screen"]["releases"][1]["rect"])?;
    let to = [mvp[0] + 20.0, mvp[1] + 3.0];
    a.page
        .drag_and_hold([second[0] + 20.0, second[1] + second[3] - 10.0], to)
        .await?;
    b.wait(
        "A's slice moving",
        &format!(
            "huddle.peers().some(p => p.dragging.includes({}))",
            json!(later)
        ),
    )
    .await?;
    a.page.release_at(to).await?;
    b.wait_map("Later first", "m.releases[0].name === 'Later'")
        .await?;
    b.wait(
        "the ghost gone",
        "huddle.peers().every(p => p.dragging.length === 0)",
    )
    .await?;
    for person in [&a, &b] {
        person.assert_no_errors()?;
    }
    Ok(())
}
