//! Private writing in real browsers: two Chromiums, two people (an editor and a commenter)
//! write notes with the page's shortcut (`N`, then typing) while the facilitator (the owner,
//! over the wire) has private writing on. Each page draws its own note as private and holds
//! nothing of the other's. The owner hands the facilitator role to the editor, who ends private
//! writing with the page's button; both pages then show both notes, under their authors' names.
//! Then a second session: the commenter writes a note while offline, the session ends without
//! her, and when her page is back online the note is published.

use anyhow::{Context, bail, ensure};
use huddle_shared::facilitation::{Command, Event, Request};
use huddle_shared::wire::{self, HuddleMessage};
use huddle_tests::browser::{self, Browser};
use huddle_tests::client::Client;
use huddle_tests::person::{Person, READY};
use huddle_tests::server::TestServer;
use huddle_tests::visitor::Visitor;
use serde_json::{Value, json};

/// A fresh browser (a new person) on `url`, once the board is connected.
async fn person_at(name: &'static str, url: &str) -> anyhow::Result<Person> {
    let browser = Browser::launch().await?;
    let page = browser.new_page(url).await?;
    let person = Person {
        name,
        page,
        browser,
    };
    person.wait("the board page to connect", READY).await?;
    Ok(person)
}

/// Sends a facilitation command over the facilitator's connection; fails unless acknowledged.
async fn ack(client: &Client, req: u64, cmd: Command) -> anyhow::Result<()> {
    let frame = wire::encode_huddle(&HuddleMessage::FacilitationRequest(Request { req, cmd }));
    client.send_raw(frame);
    let state = client
        .wait_state_for(|s| {
            s.fac_events.iter().any(
                |e| matches!(e, Event::Ack { req: r } | Event::Refused { req: r, .. } if *r == req),
            )
        })
        .await?;
    match state.fac_events.iter().find_map(|e| match e {
        Event::Refused { req: r, reason } if *r == req => Some(reason.clone()),
        _ => None,
    }) {
        Some(reason) => bail!("request {req} was refused: {reason}"),
        None => Ok(()),
    }
}

/// Writes a note with the page's shortcut and types `text` into it; its id, once the server
/// holds it (the page shows it sent).
async fn write_private(p: &Person, text: &str) -> anyhow::Result<String> {
    p.page.eval("document.activeElement?.blur(); true").await?;
    p.page.press("n", 0).await?;
    p.wait(
        "the private note's text field",
        "!!document.querySelector('.private-editor')",
    )
    .await?;
    p.page.type_into(".private-editor", text).await?;
    p.page.press("Escape", 0).await?;
    let id = p
        .wait(
            "the private note",
            &format!(
                "huddle.facilitation().private.notes.find(n => n.text === {})?.id",
                json!(text)
            ),
        )
        .await?;
    id.as_str()
        .map(str::to_owned)
        .with_context(|| format!("no id: {id}"))
}

/// Everything a page holds that came from the server or the document: the snapshot and the
/// facilitation state (which includes the page's own private notes).
async fn page_state(p: &Person) -> anyhow::Result<String> {
    let v = p
        .page
        .eval("JSON.stringify({ doc: huddle.snapshot(), fac: huddle.facilitation() })")
        .await?;
    Ok(v.as_str().unwrap_or_default().to_owned())
}

/// The name the page's person goes by (the server's, which authors their notes).
async fn name_of(p: &Person) -> anyhow::Result<String> {
    let me: Value = p.page.eval("huddle.me()").await?;
    me["name"]
        .as_str()
        .map(str::to_owned)
        .context("no name in huddle.me()")
}

fn published(id: &str, text: &str, author: &str) -> String {
    format!(
        "(() => {{ const n = huddle.snapshot().items[{}];
            return !!n && n.text === {} && n.author === {}; }})()",
        json!(id),
        json!(text),
        json!(author)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_notes_stay_on_their_authors_page_until_the_end() -> anyhow::Result<()> {
    browser::ensure_client_built()?;
    let (server, _data) = TestServer::start()?;
    let owner = Visitor::arrive(&server).await?;
    let board = owner.create_board("Ideas").await?;
    let links = owner
        .call("GET", &format!("/api/boards/{board}/access"), None)
        .await?
        .json()?["links"]
        .clone();
    let link = |role: &str| -> anyhow::Result<String> {
        Ok(server.http_url(
            links[role]
                .as_str()
                .with_context(|| format!("no {role} link"))?,
        ))
    };
    let fay = owner.join(&board, None).await?;
    let ann = person_at("Ann", &link("editor")?).await?;
    let cat = person_at("Cat", &link("commenter")?).await?;
    let (ann_name, cat_name) = (name_of(&ann).await?, name_of(&cat).await?);

    ack(&fay, 1, Command::Hello).await?;
    ack(&fay, 2, Command::PrivateStart).await?;
    for p in [&ann, &cat] {
        p.wait(
            "private writing to be on",
            "!!huddle.facilitation().public.private",
        )
        .await?;
    }

    let ann_text = "ANN-PRIVATE-idea-q8Z";
    let cat_text = "CAT-PRIVATE-idea-v3K";
    let ann_id = write_private(&ann, ann_text).await?;
    let cat_id = write_private(&cat, cat_text).await?;
    // Written through the page, sent, and held by the server (not in the document).
    for (p, id) in [(&ann, &ann_id), (&cat, &cat_id)] {
        p.wait(
            "the note to be sent",
            &format!(
                "huddle.facilitation().private.notes.some(n => n.id === {} && !n.unsent)
                    && huddle.facilitation().pending === 0",
                json!(id)
            ),
        )
        .await?;
        ensure!(
            p.page
                .eval(&format!("!huddle.snapshot().items[{}]", json!(id)))
                .await?
                == true,
            "{}'s private note is in the document",
            p.name
        );
    }
    // Ann drags her note with the mouse: it moves on her page (and on the server).
    let at = ann
        .page
        .eval(&format!(
            "(() => {{ const n = huddle.facilitation().private.notes.find(n => n.id === {});
                return [huddle.worldToClient(n.pos[0] + 40, n.pos[1] + 40),
                        huddle.worldToClient(n.pos[0] + 40, n.pos[1] + 340), n.pos]; }})()",
            json!(ann_id)
        ))
        .await?;
    let xy = |v: &Value| -> anyhow::Result<[f64; 2]> {
        Ok([v[0].as_f64().context("x")?, v[1].as_f64().context("y")?])
    };
    ann.page.drag(xy(&at[0])?, xy(&at[1])?).await?;
    let ann_pos = ann
        .wait(
            "the dragged private note to be sent where it was dropped",
            &format!(
                "(() => {{ const n = huddle.facilitation().private.notes.find(n => n.id === {});
                    return n && !n.unsent && n.pos[1] > {} + 250 && n.pos; }})()",
                json!(ann_id),
                at[2][1]
            ),
        )
        .await?;

    // Neither page holds anything of the other's note; nor does the facilitator's replica.
    for (p, other_text, other_id) in [(&ann, cat_text, &cat_id), (&cat, ann_text, &ann_id)] {
        let held = page_state(p).await?;
        ensure!(
            !held.contains(other_text) && !held.contains(other_id.as_str()),
            "{} holds another person's private note: {held}",
            p.name
        );
    }
    let fay_doc = serde_json::to_string(&fay.snapshot())?;
    ensure!(!fay_doc.contains(ann_text) && !fay_doc.contains(cat_text));

    // Both pages say private writing is on; only the facilitator's offers to end it. Fay
    // hands the role to Ann, who ends it with the bar's button.
    for p in [&ann, &cat] {
        p.wait(
            "the private-writing bar",
            "document.querySelector('.private-bar')?.textContent.includes('1 note only you see')
                && getComputedStyle(document.querySelector('.private-bar')).display === 'flex'",
        )
        .await?;
    }
    let end_shown = "getComputedStyle(document.querySelector('.private-end')).display !== 'none'";
    ensure!(
        cat.page.eval(end_shown).await? == false,
        "Cat is offered End"
    );
    let ann_person: Value = ann.page.eval("huddle.me().id").await?;
    let to = ann_person.as_str().context("no id")?.to_owned();
    ack(&fay, 3, Command::Hand { to }).await?;
    ann.wait("Ann to be offered End", end_shown).await?;

    // The end: both notes appear on both pages, where their authors put them.
    ann.page.click(".private-end").await?;
    for p in [&ann, &cat] {
        p.wait(
            "both notes to be published",
            &format!(
                "{} && {}",
                published(&ann_id, ann_text, &ann_name),
                published(&cat_id, cat_text, &cat_name)
            ),
        )
        .await?;
        p.wait(
            "the private notes and the bar to be gone from the page",
            "huddle.facilitation().private.notes.length === 0 && !huddle.facilitation().public.private
                && getComputedStyle(document.querySelector('.private-bar')).display === 'none'",
        )
        .await?;
    }
    let pos = ann
        .page
        .eval(&format!("huddle.snapshot().items[{}].pos", json!(ann_id)))
        .await?;
    ensure!(pos == ann_pos, "published at {pos}, dragged to {ann_pos}");

    // Without an agenda: the facilitator's panel starts and ends private writing.
    ann.page.press("g", 0).await?;
    ann.wait(
        "the panel's Start private writing",
        "document.querySelector('#fac-private')?.textContent === 'Start private writing'",
    )
    .await?;
    ann.page.click("#fac-private").await?;
    cat.wait(
        "private writing to be on again",
        "!!huddle.facilitation().public.private",
    )
    .await?;
    ann.wait(
        "the panel's End private writing",
        "document.querySelector('#fac-private')?.textContent === 'End private writing'",
    )
    .await?;
    ann.page.click("#fac-private").await?;
    cat.wait(
        "private writing to be off again",
        "!huddle.facilitation().public.private",
    )
    .await?;

    // ---- A second session: Cat writes while offline, and the session ends without her. ----
    ack(&fay, 4, Command::Claim).await?;
    ack(&fay, 5, Command::PrivateStart).await?;
    cat.wait(
        "private writing again",
        "!!huddle.facilitation().public.private",
    )
    .await?;
    cat.page.set_offline(true).await?;
    cat.wait(
        "the page to notice it is offline",
        "document.querySelector('#status')?.textContent === 'offline'",
    )
    .await?;
    let offline_text = "CAT-OFFLINE-idea-t6R";
    let offline_id = write_private(&cat, offline_text).await?;
    ack(&fay, 6, Command::PrivateEnd).await?;
    ensure!(
        !serde_json::to_string(&fay.snapshot())?.contains(offline_text),
        "a note written offline reached the server"
    );
    // A reload while offline keeps the note (localStorage).
    cat.page.eval("location.reload(); true").await?;
    cat.wait(
        "the page to come back with the offline note",
        &format!(
            "window.huddle && huddle.facilitation().private.notes.some(n => n.id === {})",
            json!(offline_id)
        ),
    )
    .await?;
    cat.page.set_offline(false).await?;
    for p in [&ann, &cat] {
        p.wait(
            "the offline note to be published",
            &published(&offline_id, offline_text, &cat_name),
        )
        .await?;
    }
    cat.wait(
        "the offline note to leave the page's private list",
        "huddle.facilitation().private.notes.length === 0",
    )
    .await?;
    Ok(())
}
