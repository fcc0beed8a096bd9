//! Sharing a board in real browsers (issue 11's test 5 and the page's side of roles): two
//! Chromiums, each a person of its own (own profile, own cookie), one owning the board.

use anyhow::{Context, ensure};
use huddle_tests::browser::{self, Browser, Page};
use huddle_tests::http;
use huddle_tests::person::{Person, READY};
use huddle_tests::server::TestServer;
use huddle_tests::visitor::Visitor;
use serde_json::{Value, json};

/// A fresh browser (a new person) on `url`.
async fn person_at(name: &'static str, url: &str) -> anyhow::Result<Person> {
    let browser = Browser::launch().await?;
    let page = browser.new_page(url).await?;
    Ok(Person {
        name,
        page,
        browser,
    })
}

/// The texts of the board's notes as the server exports them (read as the admin).
async fn server_texts(server: &TestServer, board: &str) -> anyhow::Result<Vec<String>> {
    let res = http::get(server.addr(), &format!("/api/boards/{board}/export.json")).await?;
    ensure!(res.status == 200, "export: {} {}", res.status, res.body);
    let json = res.json()?;
    let mut texts: Vec<String> = json["items"]
        .as_object()
        .context("items")?
        .values()
        .filter_map(|i| i["text"].as_str().map(str::to_owned))
        .collect();
    texts.sort();
    Ok(texts)
}

async fn eval_string(page: &Page, js: &str) -> anyhow::Result<String> {
    let v = page.eval(js).await?;
    v.as_str()
        .map(str::to_owned)
        .with_context(|| format!("{js} gave {v}"))
}

/// Test 5: the owner creates a board on the home page (with a name chosen there, which the
/// server keeps and others see), opens the Share dialog and copies the viewer link; a second
/// browser opens it, sees the board and the owner's cursor, has no editing tools, and
/// double-click or `N` create nothing (not in its page, not on the server); then the owner
/// makes it an editor in the dialog, and it edits without anyone reloading by hand.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_shares_a_view_link_then_makes_the_viewer_an_editor() -> anyhow::Result<()> {
    browser::ensure_client_built()?;
    let (server, _data) = TestServer::start()?;
    let owner = person_at("owner", &server.http_url("/")).await?;
    owner
        .wait(
            "the home page",
            "document.querySelector('#display-name, #change-name')",
        )
        .await?;
    owner
        .page
        .eval("document.querySelector('#change-name')?.click(); true")
        .await?;
    owner.page.type_into("#display-name", "Olivia").await?;
    owner.page.click("#display-name-save").await?;
    owner
        .wait(
            "the name saved",
            "document.querySelector('#you-name')?.textContent === 'Olivia'",
        )
        .await?;
    let me = owner
        .page
        .eval("fetch('/api/me').then(r => r.json())")
        .await?;
    ensure!(
        me["name"] == "Olivia" && me["named"] == true,
        "the server has {me}"
    );

    owner
        .page
        .type_into("#new-board-title", "Refinement")
        .await?;
    owner.page.click("#new-board-submit").await?;
    owner.wait("the new board", READY).await?;
    ensure!(eval_string(&owner.page, "huddle.role()").await? == "owner");
    let board = eval_string(&owner.page, "location.pathname.slice(3)").await?;
    let at = owner.canvas_point(-150.0, -80.0).await?;
    let note = owner.create_note(at).await?;
    owner.type_text("from the owner").await?;
    owner.end_edit().await?;
    owner.wait_saved().await?;

    // The Share dialog's viewer link.
    owner.page.click("#share-button").await?;
    owner
        .wait(
            "the share dialog",
            "document.querySelector('#share-link-viewer')?.value",
        )
        .await?;
    let link = eval_string(
        &owner.page,
        "document.querySelector('#share-link-viewer').value",
    )
    .await?;
    ensure!(
        link.contains(&format!("/b/{board}?key=")),
        "viewer link {link}"
    );
    owner.page.click("#share-close").await?;

    // The second browser opens it: the board, view only.
    let viewer = person_at("viewer", &link).await?;
    viewer.wait("the shared board", READY).await?;
    viewer.wait_text(&note, "from the owner").await?;
    ensure!(eval_string(&viewer.page, "huddle.role()").await? == "viewer");
    let badge = viewer
        .page
        .eval("(() => { const b = document.querySelector('#role-badge'); return !b.hidden && b.textContent; })()")
        .await?;
    ensure!(badge == json!("view only"), "badge: {badge}");
    let tools = viewer
        .page
        .eval("['new-note', 'new-frame', 'delete', 'undo'].map(a => getComputedStyle(document.querySelector(`[data-action=${a}]`)).display)")
        .await?;
    ensure!(
        tools == json!(["none", "none", "none", "none"]),
        "editing tools shown: {tools}"
    );
    let zoom = viewer
        .page
        .eval("getComputedStyle(document.querySelector('[data-action=zoom-in]')).display")
        .await?;
    ensure!(zoom != json!("none"), "the viewer lost the zoom buttons");

    // The owner's cursor, with the owner's name, reaches the viewer.
    let over = owner.canvas_point(40.0, 30.0).await?;
    owner.page.mouse_move(over).await?;
    viewer
        .wait(
            "the owner's cursor",
            "huddle.peers().some(p => p.name === 'Olivia' && p.cursor)",
        )
        .await?;

    // Double-click and N create nothing.
    let empty = viewer.canvas_point(120.0, 120.0).await?;
    viewer.page.double_click_at(empty).await?;
    viewer.page.press("n", 0).await?;
    owner.page.mouse_move(at).await?; // a round trip the viewer's edits would have gone ahead of
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    ensure!(
        viewer.items().await?.len() == 1,
        "the viewer's page made a note"
    );
    ensure!(viewer.page.eval("huddle.editing()").await? == Value::Null);
    ensure!(server_texts(&server, &board).await? == ["from the owner"]);

    // The owner makes the viewer an editor in the dialog (opened again: the viewer is new).
    let viewer_id = eval_string(&viewer.page, "huddle.me().id").await?;
    owner.page.click("#share-button").await?;
    let row = format!(".share-person[data-person=\"{viewer_id}\"] select");
    owner
        .wait(
            "the viewer in the people list",
            &format!("document.querySelector('{row}')"),
        )
        .await?;
    owner
        .page
        .eval(&format!(
            "(() => {{ const s = document.querySelector('{row}'); s.value = 'editor'; \
             s.dispatchEvent(new Event('change', {{ bubbles: true }})); return true; }})()"
        ))
        .await?;
    viewer
        .wait(
            "the editor role, without a hand on the reload button",
            "window.huddle && huddle.role() === 'editor'",
        )
        .await?;
    viewer.wait("the board again", READY).await?;
    let there = viewer.canvas_point(100.0, 60.0).await?;
    let theirs = viewer.create_note(there).await?;
    viewer.type_text("from the new editor").await?;
    viewer.end_edit().await?;
    owner.wait_text(&theirs, "from the new editor").await?;
    viewer.assert_no_errors().ok();
    Ok(())
}

/// A page whose role dropped to viewer while it held offline edits keeps them, says so, and
/// copies them into a new board the person owns; nothing of them reaches the shared board.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_edits_outlive_a_role_that_dropped() -> anyhow::Result<()> {
    browser::ensure_client_built()?;
    let (server, _data) = TestServer::start()?;
    let owner = Visitor::arrive(&server).await?;
    let board = owner.create_board("Roadmap").await?;
    let access = owner
        .call("GET", &format!("/api/boards/{board}/access"), None)
        .await?
        .json()?;
    let editor_link = server.http_url(access["links"]["editor"].as_str().context("link")?);
    let ed = person_at("editor", &editor_link).await?;
    ed.wait("the board", READY).await?;
    ensure!(eval_string(&ed.page, "huddle.role()").await? == "editor");
    let id = eval_string(&ed.page, "huddle.me().id").await?;

    // Offline, the editor writes a note; meanwhile the owner makes them a viewer.
    ed.page.set_offline(true).await?;
    ed.wait(
        "offline",
        "document.querySelector('#status')?.textContent === 'offline'",
    )
    .await?;
    let at = ed.canvas_point(0.0, 0.0).await?;
    let note = ed.create_note(at).await?;
    ed.type_text("offline idea").await?;
    ed.end_edit().await?;
    let res = owner
        .call(
            "PUT",
            &format!("/api/boards/{board}/people/{id}"),
            Some(json!({"role": "viewer"})),
        )
        .await?;
    ensure!(res.status == 200, "{}", res.body);

    // Back online: the server refuses the edit, the page learns its role and says so.
    ed.page.set_offline(false).await?;
    ed.wait(
        "the viewer role",
        "window.huddle && huddle.role() === 'viewer'",
    )
    .await?;
    ed.wait(
        "the banner about the unsaved changes",
        "document.querySelector('#unsent-banner')?.textContent.includes('not saved')",
    )
    .await?;
    ed.wait_text(&note, "offline idea").await?;
    ensure!(
        server_texts(&server, &board).await?.is_empty(),
        "the refused note reached the board"
    );

    // Copy into a new board: it opens, owned by this person, with the note.
    ed.page.click("#copy-to-new-board").await?;
    ed.wait(
        "the copy",
        &format!(
            "location.pathname !== '/b/{board}' && window.huddle && huddle.role() === 'owner'"
        ),
    )
    .await?;
    ed.wait(READY, READY).await?;
    let copy = eval_string(&ed.page, "location.pathname.slice(3)").await?;
    ensure!(
        server_texts(&server, &copy).await? == ["offline idea"],
        "the copy holds {:?}",
        server_texts(&server, &copy).await?
    );
    Ok(())
}

/// Opening a board without a role shows why instead of the board, and connects nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_without_a_role_says_so() -> anyhow::Result<()> {
    browser::ensure_client_built()?;
    let (server, _data) = TestServer::start()?;
    let owner = Visitor::arrive(&server).await?;
    let board = owner.create_board("Private").await?;
    let stranger = person_at("stranger", &server.http_url(&format!("/b/{board}"))).await?;
    stranger
        .wait(
            "the no-access message",
            "document.querySelector('#no-access')?.textContent.includes('no access')",
        )
        .await?;
    ensure!(http::metric(server.addr(), "huddle_connections_open").await? == 0.0);
    Ok(())
}
