//! Arranging in real headless Chromium against the real server: notes sorted by colour
//! through the toolbar's Arrange menu, aligned with a shortcut, both undone with Ctrl+Z (one
//! step each), and a second person's page showing every position.
//!
//! As in `whiteboard.rs`, everything goes through the page's own input (real mouse and keys
//! over the DevTools protocol); the tests read positions through the read-only
//! `window.huddle` hooks. Needs the built client and Chromium: `cargo xtask test` provides
//! both.

use std::collections::BTreeMap;

use anyhow::{Context, ensure};
use huddle_shared::arrange::{FRAME_PADDING, FRAME_TITLE_BAND, GAP, GROUP_GAP, LABEL_GAP};
use huddle_shared::model::{DEFAULT_LABEL_SIZE, DEFAULT_NOTE_SIZE};
use huddle_tests::browser::{self, modifiers};
use huddle_tests::http;
use huddle_tests::person::Person;
use huddle_tests::server::TestServer;
use serde_json::{Value, json};

type Positions = BTreeMap<String, [f64; 2]>;

/// What these tests do at a board on top of [`Person`].
trait Arranging {
    async fn positions(&self) -> anyhow::Result<Positions>;
    async fn wait_positions(&self, what: &str, want: &Positions) -> anyhow::Result<()>;
    async fn note(&self, at: [f64; 2], colour_key: &str, colour: &str) -> anyhow::Result<String>;
    async fn typed_item(&self, key: &str, text: &str) -> anyhow::Result<String>;
}

impl Arranging for Person {
    /// Every item's position now.
    async fn positions(&self) -> anyhow::Result<Positions> {
        let items = self.page.eval("huddle.snapshot().items").await?;
        let items = items.as_object().context("snapshot().items")?;
        items
            .iter()
            .map(|(id, item)| Ok((id.clone(), serde_json::from_value(item["pos"].clone())?)))
            .collect()
    }

    /// Waits until every item in `want` is exactly there (compared as numbers).
    async fn wait_positions(&self, what: &str, want: &Positions) -> anyhow::Result<()> {
        let want: BTreeMap<&String, Value> = want.iter().map(|(id, p)| (id, json!(p))).collect();
        let js = format!(
            "(() => {{ const want = {}; const items = huddle.snapshot().items;
                       return Object.entries(want).every(([id, p]) => {{
                           const q = items[id]?.pos;
                           return !!q && q[0] === p[0] && q[1] === p[1]; }}); }})()",
            json!(want)
        );
        self.wait(what, &js).await?;
        Ok(())
    }

    /// Double-clicks empty canvas at `at` (a new note, its editor open), ends editing, then
    /// presses `colour_key` (1 to 8), which colours the note (still selected) and the next
    /// ones. Returns the note's id.
    async fn note(&self, at: [f64; 2], colour_key: &str, colour: &str) -> anyhow::Result<String> {
        let id = self.create_note(at).await?;
        self.end_edit().await?;
        self.page.press(colour_key, 0).await?;
        self.wait(
            &format!("{id} to turn {colour}"),
            &format!(
                "huddle.snapshot().items[{}]?.color === {}",
                json!(id),
                json!(colour)
            ),
        )
        .await?;
        Ok(id)
    }

    /// Presses `key` (`n` note, `f` frame: made in the middle of the view, its text open),
    /// types `text`, ends editing; returns the new item's id.
    async fn typed_item(&self, key: &str, text: &str) -> anyhow::Result<String> {
        self.page.press(key, 0).await?;
        let id = self
            .wait("the new item's editor", "huddle.editing()")
            .await?
            .as_str()
            .context("editing() is not an id")?
            .to_owned();
        self.wait(
            "the editor to have the focus",
            "document.activeElement?.id === 'note-editor'",
        )
        .await?;
        self.page.type_into("#note-editor", text).await?;
        self.page.press("Escape", 0).await?;
        self.wait("editing to end", "huddle.editing() === null")
            .await?;
        Ok(id)
    }
}

/// Sort by colour from the menu, align top with Alt+W, undo each with one Ctrl+Z; the other
/// page follows every step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sort_from_the_menu_align_by_shortcut_and_undo_each_in_one_step() -> anyhow::Result<()> {
    browser::ensure_client_built()?;
    let (server, _data) = TestServer::start()?;
    let board = http::create_board(server.addr(), "Arrange").await?;
    let a = Person::join("A", &server, &board).await?;
    let b = Person::join("B", &server, &board).await?;

    // Three notes, scattered: blue, red, yellow (the palette's order is yellow, red, blue).
    let blue = a
        .note(a.canvas_point(-320.0, -60.0).await?, "6", "blue")
        .await?;
    let red = a
        .note(a.canvas_point(40.0, 90.0).await?, "3", "red")
        .await?;
    let yellow = a
        .note(a.canvas_point(300.0, -150.0).await?, "1", "yellow")
        .await?;
    let scattered = a.positions().await?;
    b.wait_positions("A's notes", &scattered).await?;

    // One note selected: nothing to arrange, the menu's button is disabled.
    a.wait(
        "the Arrange button to be disabled for one note",
        "huddle.selection().length === 1 && document.querySelector('[data-action=arrange]').disabled",
    )
    .await?;
    a.page.press("a", modifiers::CTRL).await?;
    a.wait(
        "all three selected and Arrange enabled",
        "huddle.selection().length === 3 && !document.querySelector('[data-action=arrange]').disabled",
    )
    .await?;

    a.page.click("[data-action=arrange]").await?;
    a.wait(
        "the Arrange menu to open",
        "!document.querySelector('#arrange-menu').hidden",
    )
    .await?;
    a.page.click("[data-arrange=sort-color]").await?;

    // A grid from the notes' top-left corner, two columns (ceil of sqrt 3), palette order.
    let left = scattered
        .values()
        .map(|p| p[0])
        .fold(f64::INFINITY, f64::min);
    let top = scattered
        .values()
        .map(|p| p[1])
        .fold(f64::INFINITY, f64::min);
    let step = DEFAULT_NOTE_SIZE[0] + GAP;
    let sorted = Positions::from([
        (yellow.clone(), [left, top]),
        (red.clone(), [left + step, top]),
        (blue.clone(), [left, top + step]),
    ]);
    ensure!(sorted != scattered, "the notes were already sorted");
    a.wait_positions("the sort by colour", &sorted).await?;
    a.wait(
        "the menu to close",
        "document.querySelector('#arrange-menu').hidden",
    )
    .await?;
    b.wait_positions("A's sort", &sorted).await?;

    // Alt+W aligns the tops: only the blue note (second row) moves.
    a.page.press("w", modifiers::ALT).await?;
    let aligned = Positions::from([
        (yellow.clone(), [left, top]),
        (red.clone(), [left + step, top]),
        (blue.clone(), [left, top]),
    ]);
    a.wait_positions("align top", &aligned).await?;
    b.wait_positions("A's align", &aligned).await?;

    // One Ctrl+Z undoes the align, the next the whole sort: every note back where it was.
    a.page.press("z", modifiers::CTRL).await?;
    a.wait_positions("the align undone", &sorted).await?;
    b.wait_positions("A's undo of the align", &sorted).await?;
    a.page.press("z", modifiers::CTRL).await?;
    a.wait_positions("the sort undone", &scattered).await?;
    b.wait_positions("A's undo of the sort", &scattered).await?;
    let colours = a
        .page
        .eval("Object.values(huddle.snapshot().items).map(i => i.color).sort().join()")
        .await?;
    ensure!(
        colours == "blue,red,yellow",
        "undo of the sort went too far: colours are {colours}"
    );
    a.assert_no_errors()?;
    b.assert_no_errors()
}

/// A selected frame: Cluster by tag lays its notes out inside it, under one label per tag;
/// one Ctrl+Z takes the labels away and puts the notes back; the other page follows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_a_frames_notes_by_tag_inside_the_frame() -> anyhow::Result<()> {
    browser::ensure_client_built()?;
    let (server, _data) = TestServer::start()?;
    let board = http::create_board(server.addr(), "Cluster a frame").await?;
    let a = Person::join("A", &server, &board).await?;
    let b = Person::join("B", &server, &board).await?;

    // F: a frame in the middle of the view; N: notes in the middle, so inside it.
    let frame = a.typed_item("f", "").await?;
    let ux = a.typed_item("n", "#ux").await?;
    let auth1 = a.typed_item("n", "#auth").await?;
    let auth2 = a.typed_item("n", "#auth").await?;
    let before = a.positions().await?;
    b.wait_positions("A's frame and notes", &before).await?;

    // Select the frame alone: a press inside it, off the notes.
    let at = before[&frame];
    let press = a.to_client([at[0] + 40.0, at[1] + 60.0]).await?;
    a.page.click_at(press, 0).await?;
    a.wait(
        "the frame alone selected, Arrange enabled",
        &format!(
            "JSON.stringify(huddle.selection()) === {} && !document.querySelector('[data-action=arrange]').disabled",
            json!(json!([frame]).to_string())
        ),
    )
    .await?;
    a.page.click("[data-action=arrange]").await?;
    a.page.click("[data-arrange=cluster-tag]").await?;

    // Inside the frame below its title: "#auth (2)" with its two notes (tied: by id), then
    // "#ux (1)" one group further right.
    let origin = [
        at[0] + FRAME_PADDING,
        at[1] + FRAME_TITLE_BAND + FRAME_PADDING,
    ];
    let below = DEFAULT_LABEL_SIZE[1] + LABEL_GAP;
    let step = DEFAULT_NOTE_SIZE[0] + GAP;
    let second = origin[0] + 2.0 * DEFAULT_NOTE_SIZE[0] + GAP + GROUP_GAP;
    let (first, next) = if auth1 < auth2 {
        (&auth1, &auth2)
    } else {
        (&auth2, &auth1)
    };
    let clustered = Positions::from([
        (frame.clone(), at),
        (first.clone(), [origin[0], origin[1] + below]),
        (next.clone(), [origin[0] + step, origin[1] + below]),
        (ux.clone(), [second, origin[1] + below]),
    ]);
    a.wait_positions("the clusters", &clustered).await?;
    // Both sides go through JSON.stringify in the page (Rust writes 764.0, JavaScript 764).
    let labels_at = format!(
        "JSON.stringify(Object.values(huddle.snapshot().items).filter(i => i.kind === 'text')
             .map(i => [i.text, i.pos[0], i.pos[1]]).sort()) === JSON.stringify({})",
        json!([
            ["#auth (2)", origin[0], origin[1]],
            ["#ux (1)", second, origin[1]]
        ])
    );
    a.wait("the two labels", &labels_at).await?;
    b.wait_positions("A's clusters", &clustered).await?;
    b.wait("A's labels", &labels_at).await?;

    // One Ctrl+Z: no labels, every note back.
    a.page.press("z", modifiers::CTRL).await?;
    let no_labels = "Object.values(huddle.snapshot().items).every(i => i.kind !== 'text')";
    a.wait("the labels undone", no_labels).await?;
    a.wait_positions("the clusters undone", &before).await?;
    b.wait("A's undo of the labels", no_labels).await?;
    b.wait_positions("A's undo of the clusters", &before)
        .await?;
    a.assert_no_errors()?;
    b.assert_no_errors()
}

/// Sort by votes: after a dot vote is revealed (run on the wire by the admin), the menu's
/// "Sort by votes" lays the selected notes out most dots first; notes without dots go last.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sort_by_votes_puts_the_most_dotted_notes_first() -> anyhow::Result<()> {
    use huddle_shared::rounds::{Choice, Kind, Settings};
    use huddle_tests::rounds::tab::Tab;
    browser::ensure_client_built()?;
    let (server, _data) = TestServer::start()?;
    let board = http::create_board(server.addr(), "Votes").await?;
    let a = Person::join("A", &server, &board).await?;
    let one = a
        .note(a.canvas_point(-320.0, -150.0).await?, "1", "yellow")
        .await?;
    let three = a
        .note(a.canvas_point(-20.0, -150.0).await?, "1", "yellow")
        .await?;
    let none = a
        .note(a.canvas_point(280.0, -150.0).await?, "1", "yellow")
        .await?;
    let two = a
        .note(a.canvas_point(-180.0, 110.0).await?, "1", "yellow")
        .await?;
    let scattered = a.positions().await?;

    // The admin's tab, once the server has all four notes.
    let tab = loop {
        let tab = Tab::join(&server.ws_url(&board), &[]).await?;
        let count = tab
            .board
            .item_count(&yrs::Transact::transact(tab.board.doc()));
        if count == 4 {
            break tab;
        }
        tab.close().await;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    tab.hello().await?;
    let mut settings = Settings::new(Kind::Dots);
    settings.budget = 6;
    let round = tab
        .open(
            settings,
            &[one.as_str(), three.as_str(), none.as_str(), two.as_str()],
        )
        .await?;
    let ballot = [(&one, 1), (&three, 3), (&two, 2)]
        .into_iter()
        .map(|(id, n)| (id.clone(), Choice::Dots(n)))
        .collect();
    tab.cast(&round, ballot).await?;
    tab.reveal(&round).await?;
    a.wait(
        "the result to reach the page",
        &format!("Object.keys(huddle.snapshot().rounds || {{}}).includes('{round}')"),
    )
    .await?;

    a.page.press("a", modifiers::CTRL).await?;
    a.wait("all four selected", "huddle.selection().length === 4")
        .await?;
    a.page.click("[data-action=arrange]").await?;
    a.wait(
        "the Arrange menu to open",
        "!document.querySelector('#arrange-menu').hidden",
    )
    .await?;
    a.page.click("[data-arrange=sort-votes]").await?;
    let left = scattered
        .values()
        .map(|p| p[0])
        .fold(f64::INFINITY, f64::min);
    let top = scattered
        .values()
        .map(|p| p[1])
        .fold(f64::INFINITY, f64::min);
    let step = DEFAULT_NOTE_SIZE[0] + GAP;
    let sorted = Positions::from([
        (three.clone(), [left, top]),
        (two.clone(), [left + step, top]),
        (one.clone(), [left, top + step]),
        (none.clone(), [left + step, top + step]),
    ]);
    a.wait_positions("the sort by votes", &sorted).await?;
    tab.close().await;
    a.assert_no_errors()
}
