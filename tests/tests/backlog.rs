//! Stories and the backlog in real headless Chromium against the real server: the story panel
//! (a note's estimate, type, status, persona and description), new boards from templates on
//! the home page, and the story-map filter bar. (The board menu's export and import are in
//! `storymap.rs`, after two people move stories.)
//!
//! Needs the built client and Chromium: `cargo xtask test` provides both.

use anyhow::{Context, ensure};
use huddle_shared::model::{NewNote, StoryFields, StoryType, hashtags};
use huddle_tests::browser::{self, Browser};
use huddle_tests::client::{Client, WAIT};
use huddle_tests::person::{Person, READY, two_people};
use huddle_tests::server::TestServer;
use serde_json::{Value, json};

/// Types `text` into the field `selector` (emptied first) and leaves it, which commits it
/// (`change`), as tabbing away would.
async fn fill(person: &Person, selector: &str, text: &str) -> anyhow::Result<()> {
    person
        .page
        .eval(&format!(
            "document.querySelector({}).value = ''",
            json!(selector)
        ))
        .await?;
    person.page.type_into(selector, text).await?;
    person.page.eval("document.activeElement.blur()").await?;
    Ok(())
}

/// Picks `value` in the `<select>` `selector`, as choosing it from the list does.
async fn choose(person: &Person, selector: &str, value: &str) -> anyhow::Result<()> {
    person
        .page
        .eval(&format!(
            "(() => {{ const s = document.querySelector({});
                       s.value = {}; s.dispatchEvent(new Event('change', {{ bubbles: true }})); }})()",
            json!(selector),
            json!(value)
        ))
        .await?;
    Ok(())
}

/// The story fields of item `id` in `person`'s copy of the board.
async fn story_of(person: &Person, id: &str) -> anyhow::Result<Value> {
    let item = person
        .page
        .eval(&format!("huddle.snapshot().items[{}]", json!(id)))
        .await?;
    ensure!(item.is_object(), "{} has no item {id}", person.name);
    let pick = |key: &str| item.get(key).cloned().unwrap_or(Value::Null);
    Ok(json!({
        "estimate": pick("estimate"),
        "type": pick("type"),
        "status": pick("status"),
        "persona": pick("persona"),
        "description": pick("description"),
    }))
}

async fn panel_values(person: &Person) -> anyhow::Result<Value> {
    person
        .page
        .eval(
            "(() => { const v = id => document.querySelector(id).value;
                      return { hidden: document.querySelector('#story-panel').hidden,
                               estimate: v('#story-estimate'), type: v('#story-type'),
                               status: v('#story-status'), persona: v('#story-persona'),
                               description: v('#story-description') }; })()",
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_story_panel_edits_a_notes_story_for_everyone() -> anyhow::Result<()> {
    let (server, _data, board, a, b) = two_people("Stories").await?;
    let id = a.create_note(a.canvas_point(-200.0, 0.0).await?).await?;
    a.type_text("Sign in with SSO").await?;
    a.end_edit().await?;

    // The panel opens on request (the toolbar's Story button), for the selected note.
    a.page.click_at(a.item_center(&id).await?, 0).await?;
    a.wait(
        "the note selected",
        &format!("huddle.selection()[0] === {}", json!(id)),
    )
    .await?;
    ensure!(
        a.page
            .eval("document.querySelector('#story-panel').hidden")
            .await?
            == true,
        "the panel opened without being asked"
    );
    a.page.click("[data-action=story-details]").await?;
    a.wait(
        "the panel to show",
        "!document.querySelector('#story-panel').hidden",
    )
    .await?;
    let empty = panel_values(&a).await?;
    ensure!(
        empty["estimate"] == "" && empty["type"] == "feature" && empty["status"] == "todo",
        "a plain note shows an empty story: {empty}"
    );

    fill(&a, "#story-estimate", "5").await?;
    choose(&a, "#story-type", "tech_debt").await?;
    choose(&a, "#story-status", "in_progress").await?;
    fill(&a, "#story-persona", "Admin").await?;
    fill(&a, "#story-description", "So that nobody keeps a password.").await?;
    let expected = json!({
        "estimate": 5,
        "type": "tech_debt",
        "status": "in_progress",
        "persona": "Admin",
        "description": "So that nobody keeps a password.",
    });
    let predicate = format!(
        "(() => {{ const i = huddle.snapshot().items[{}];
                   return i && i.estimate === 5 && i.description === {}; }})()",
        json!(id),
        expected["description"]
    );
    b.wait("A's story fields", &predicate).await?;
    ensure!(
        story_of(&b, &id).await? == expected,
        "B sees {}",
        story_of(&b, &id).await?
    );

    // B's panel (opened with I) shows them when B selects the note.
    b.page.click_at(b.item_center(&id).await?, 0).await?;
    b.wait(
        "B's selection",
        &format!("huddle.selection()[0] === {}", json!(id)),
    )
    .await?;
    b.page.press("i", 0).await?;
    b.wait(
        "B's panel",
        "!document.querySelector('#story-panel').hidden",
    )
    .await?;
    let shown = panel_values(&b).await?;
    ensure!(
        shown["estimate"] == "5"
            && shown["type"] == "tech_debt"
            && shown["status"] == "in_progress"
            && shown["persona"] == "Admin",
        "B's panel shows {shown}"
    );

    // A bad estimate is explained and not written.
    fill(&a, "#story-estimate", "-3").await?;
    a.wait(
        "the estimate error",
        "document.querySelector('#story-error').textContent.includes('estimate')",
    )
    .await?;
    ensure!(
        story_of(&a, &id).await?["estimate"].as_f64() == Some(5.0),
        "the bad estimate was written"
    );

    // Each change was one undo step: one undo takes back only the description.
    fill(&a, "#story-estimate", "5").await?;
    a.page.click("[data-action=undo]").await?;
    a.wait(
        "the description to be undone",
        &format!(
            "huddle.snapshot().items[{}].description === undefined",
            json!(id)
        ),
    )
    .await?;
    let after = story_of(&a, &id).await?;
    ensure!(
        after["persona"] == "Admin" && after["estimate"].as_f64() == Some(5.0),
        "one undo took back more than the description: {after}"
    );

    // Selecting nothing hides the open panel; the x closes it.
    b.page
        .click_at(b.canvas_point(300.0, 200.0).await?, 0)
        .await?;
    b.wait(
        "B's panel to hide",
        "document.querySelector('#story-panel').hidden",
    )
    .await?;
    a.page.click("#story-close").await?;
    a.wait(
        "A's panel to close",
        "document.querySelector('#story-panel').hidden",
    )
    .await?;

    // The server has what B sees.
    a.wait_saved().await?;
    let replica = Client::join(&server.ws_url(&board)).await?;
    let snapshot = replica.snapshot();
    let fields = &snapshot
        .items
        .get(&id)
        .context("the server's copy has the note")?
        .story;
    ensure!(
        fields.persona.as_deref() == Some("Admin") && fields.description.is_none(),
        "the server has {fields:?}"
    );
    a.assert_no_errors()?;
    b.assert_no_errors()?;
    Ok(())
}

/// The home page's template picker makes a story-map board: it opens with the template's map.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_from_the_story_map_template_opens_with_its_map() -> anyhow::Result<()> {
    browser::ensure_client_built()?;
    let (server, _data) = TestServer::start()?;
    let browser = Browser::launch().await?;
    let page = browser.new_page(&server.http_url("/")).await?;
    page.wait_for("document.querySelector('#new-board-template')", WAIT)
        .await?;
    let offered = page
        .eval("[...document.querySelectorAll('#new-board-template option')].map(o => o.value)")
        .await?;
    ensure!(
        offered == json!(["blank", "story_map", "impact_effort", "retrospective"]),
        "the picker offers {offered}"
    );
    page.type_into("#new-board-title", "Checkout map").await?;
    page.eval(
        "(() => { const s = document.querySelector('#new-board-template');
                  s.value = 'story_map'; s.dispatchEvent(new Event('change')); })()",
    )
    .await?;
    page.click("#new-board-submit").await?;
    let map = page
        .wait_for(
            &format!("{READY} && location.pathname.startsWith('/b/') && huddle.storyMaps()[0]"),
            WAIT,
        )
        .await?;
    let releases: Vec<&str> = map["releases"]
        .as_array()
        .context("releases")?
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    ensure!(
        releases.starts_with(&["MVP", "Release 2"]),
        "the template's slices are {releases:?}"
    );
    ensure!(
        map["activities"].as_array().is_some_and(|a| !a.is_empty()),
        "the template's map has no activities: {map}"
    );
    // While the board has a map, the filter bar is there.
    page.wait_for("!document.querySelector('#map-filter').hidden", WAIT)
        .await?;
    ensure!(page.errors().is_empty(), "errors: {:?}", page.errors());
    Ok(())
}

/// The filter bar shows only the stories with a tag, of a type or for a persona, in this page
/// only; Clear shows them all again. The totals keep counting every story.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_filter_bar_narrows_the_map_for_this_viewer_only() -> anyhow::Result<()> {
    let (server, _data, board, a, b) = two_people("Filtered").await?;
    let rust = Client::join(&server.ws_url(&board)).await?;
    rust.edit(|m, txn| -> anyhow::Result<()> {
        let map = m.create_story_map(txn, [-400.0, -250.0], "Filtered", "R", 0.0)?;
        let act = m.add_activity(txn, &map, None, "Sign up", "R", 0.0)?;
        let step = m.add_step(txn, &act, None, "Form", "R", 0.0)?;
        let stories = [
            ("SSO #auth", StoryType::Feature, "Admin"),
            ("Captcha #security", StoryType::TechDebt, "Guest"),
            ("Reset password #auth", StoryType::Bug, "Guest"),
        ];
        for (i, (text, kind, persona)) in stories.into_iter().enumerate() {
            let id = m.create_note(
                txn,
                NewNote {
                    text: text.into(),
                    tags: hashtags(text),
                    ..NewNote::default()
                },
            )?;
            let fields = StoryFields {
                estimate: Some(i as f64 + 1.0),
                story_type: Some(kind),
                persona: Some(persona.into()),
                ..StoryFields::default()
            };
            m.set_story_fields(txn, &id, &fields)?;
            m.place_story(txn, &id, &step, None, None)?;
        }
        Ok(())
    })?;
    rust.save().await?;
    let shown = |n: usize| format!("huddle.storyMaps()[0]?.screen.stories.length === {n}");
    for person in [&a, &b] {
        person.wait("the map", &shown(3)).await?;
        person
            .wait(
                "the filter bar",
                "!document.querySelector('#map-filter').hidden",
            )
            .await?;
    }

    a.page.type_into("#filter-tag", "#auth").await?;
    a.wait("two #auth stories", &shown(2)).await?;
    b.page.type_into("#filter-persona", "guest").await?;
    b.wait("B's two stories for guests", &shown(2)).await?;
    a.wait("A's filter, not B's", &shown(2)).await?;
    choose(&a, "#filter-type", "bug").await?;
    a.wait("one #auth bug", &shown(1)).await?;
    let points = a
        .page
        .eval("huddle.storyMaps()[0].activities[0].totals.points")
        .await?;
    ensure!(
        points.as_f64() == Some(6.0),
        "the totals count {points}, not all 6 points"
    );
    a.page.click("#filter-clear").await?;
    a.wait("every story again", &shown(3)).await?;
    b.wait("B's filter kept", &shown(2)).await?;
    a.assert_no_errors()?;
    b.assert_no_errors()
}
