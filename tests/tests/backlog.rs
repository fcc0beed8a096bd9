//! Stories and the backlog in real headless Chromium against the real server: the story panel
//! (a note's estimate, type, status, persona and description), the board menu's export and
//! import, and new boards from templates on the home page.
//!
//! Needs the built client and Chromium: `cargo xtask test` provides both.

use anyhow::{Context, ensure};
use huddle_tests::client::Client;
use huddle_tests::person::{Person, two_people};
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
