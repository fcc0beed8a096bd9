//! Comments in real browsers: two Chromiums (Ann, a commenter, and Bo, an editor) and a
//! plain y-websocket client of the owner that speaks comments on the wire. Ann starts a
//! thread with `Shift+C`, mentions the owner through `@` completion and posts; Bo replies in
//! his panel; Ann edits her comment in place; Bo resolves the thread. Each step reaches the
//! other page and the wire client as the server holds it (author, mention, edit, resolve).
//! Then Ann goes offline, replies, and the reply arrives exactly once after she is back. A
//! stock JavaScript Yjs client is on the board throughout: it syncs, and receives no comment
//! message (it never said hello) and none of the comments' text.

use anyhow::{Context, ensure};
use huddle_shared::comments::{Anchor, Thread};
use huddle_shared::model::{Board, NewNote};
use huddle_shared::wire::{self, HuddleMessage, Message};
use huddle_tests::browser::{self, Browser, modifiers};
use huddle_tests::comments::{self as com, hello, threads, wait_thread};
use huddle_tests::js;
use huddle_tests::person::{Person, READY};
use huddle_tests::rounds::{js_frames, named};
use huddle_tests::server::TestServer;
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

async fn me(p: &Person) -> anyhow::Result<(String, String)> {
    let me: Value = p.page.eval("huddle.me()").await?;
    Ok((
        me["id"].as_str().context("no id")?.to_owned(),
        me["name"].as_str().context("no name")?.to_owned(),
    ))
}

/// JS: whether the page's panel shows thread `id` holding `text`.
fn shows(id: &str, text: &str) -> String {
    format!(
        "(() => {{ const t = document.querySelector('[data-thread=' + {} + ']');
            return !!t && t.textContent.includes({}); }})()",
        json!(json!(id).to_string()),
        json!(text)
    )
}

fn only_thread(threads: &std::collections::BTreeMap<String, Thread>) -> anyhow::Result<Thread> {
    ensure!(threads.len() == 1, "expected one thread: {threads:?}");
    threads.values().next().cloned().context("none")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thread_with_a_mention_a_reply_an_edit_a_resolve_and_an_offline_reply()
-> anyhow::Result<()> {
    browser::ensure_client_built()?;
    let (server, _data) = TestServer::start()?;
    let owner = named(&server, "Olga").await?;
    let board = owner.create_board("Questions").await?;
    let links = owner
        .call("GET", &format!("/api/boards/{board}/access"), None)
        .await?
        .json()?["links"]
        .clone();
    let link = |role: &str| -> anyhow::Result<String> {
        Ok(server.http_url(links[role].as_str().context("no link")?))
    };
    let wire = owner.join(&board, None).await?;
    hello(&wire).await?;
    // The stock client records everything until the owner's end marker (the board's one note).
    let editor_key = links["editor"]
        .as_str()
        .and_then(|l| l.split("key=").nth(1))
        .context("no editor key")?
        .to_owned();
    let script = json!([
        {"op": "wait_synced"},
        {"op": "wait_for_map_size", "map": "items", "size": 1, "timeout_ms": 90000},
        {"op": "dump_received"},
    ]);
    let (base, b) = (server.ws_base(), board.clone());
    let js_peer = tokio::spawn(async move { js::run(&base, &b, Some(&editor_key), script).await });
    let ann = person_at("Ann", &link("commenter")?).await?;
    let bo = person_at("Bo", &link("editor")?).await?;
    let (ann_id, ann_name) = me(&ann).await?;
    let (bo_id, _) = me(&bo).await?;

    // Ann: Shift+C opens a new thread (nothing selected: on the middle of the view).
    ann.page
        .eval("document.activeElement?.blur(); true")
        .await?;
    ann.page.press("C", modifiers::SHIFT).await?;
    ann.wait(
        "the comments panel",
        "!document.querySelector('#comments-panel').hidden && huddle.role() === 'commenter'",
    )
    .await?;
    ann.wait(
        "the new comment's field",
        "document.activeElement?.id === 'comment-new'",
    )
    .await?;
    ann.page
        .type_into("#comment-new", "Is this small, @Ol")
        .await?;
    ann.wait(
        "the suggestion of Olga",
        "!document.querySelector('#comment-suggest').hidden && \
         document.querySelector('#comment-suggest li')?.textContent === 'Olga'",
    )
    .await?;
    ann.page.press("Tab", 0).await?;
    ann.page.type_into("#comment-new", "?").await?;
    ann.page.click("[data-act=post-new]").await?;
    let t = wire
        .wait_state_for(|s| com::threads_in(s).len() == 1)
        .await
        .map(|s| com::threads_in(&s))
        .and_then(|t| only_thread(&t))?;
    let first = &t.comments[0];
    ensure!(first.text == "Is this small, @Olga ?", "{first:?}");
    ensure!(
        first.author == ann_id && first.name == ann_name,
        "{first:?}"
    );
    ensure!(first.mentions == [owner.id.clone()], "{first:?}");

    // Bo presses the thread's pin on his canvas: his panel opens with that thread.
    let Anchor::Point { pos } = t.anchor.clone() else {
        anyhow::bail!("the thread is not on a point: {:?}", t.anchor);
    };
    bo.wait(
        "the thread to reach Bo's page",
        &format!(
            "huddle.comments().threads.some(t => t.id === {})",
            json!(t.id)
        ),
    )
    .await?;
    let pin = bo.to_client(pos).await?;
    bo.page.click_at(pin, 0).await?;
    bo.wait("Ann's thread in Bo's panel", &shows(&t.id, "Is this small"))
        .await?;
    bo.wait(
        "the panel to say it shows the pin's threads",
        "!!document.querySelector('#comment-list .comment-only')",
    )
    .await?;
    let reply_box = format!("[data-thread=\"{}\"] .comment-reply", t.id);
    bo.page.type_into(&reply_box, "Three points").await?;
    bo.page
        .click(&format!("[data-thread=\"{}\"] [data-act=reply]", t.id))
        .await?;
    let t = wait_thread(&wire, &t.id, |t| t.comments.len() == 2).await?;
    ensure!(t.comments[1].author == bo_id && t.comments[1].text == "Three points");
    ann.wait("Bo's reply on Ann's page", &shows(&t.id, "Three points"))
        .await?;

    // Ann edits her comment in place.
    let first_id = t.comments[0].id.clone();
    let in_comment = format!("[data-comment=\"{first_id}\"]");
    ann.page
        .click(&format!("{in_comment} [data-act=edit]"))
        .await?;
    ann.page
        .eval(&format!(
            "document.querySelector('{in_comment} .comment-edit').value = ''; true"
        ))
        .await?;
    ann.page
        .type_into(
            &format!("{in_comment} .comment-edit"),
            "Is this under five points?",
        )
        .await?;
    ann.page
        .click(&format!("{in_comment} [data-act=save-edit]"))
        .await?;
    let t = wait_thread(&wire, &t.id, |t| t.comments[0].edited_at.is_some()).await?;
    ensure!(t.comments[0].text == "Is this under five points?");
    ensure!(
        t.comments[0].mentions.is_empty(),
        "the edit took the mention out"
    );
    bo.wait("the edit on Bo's page", &shows(&t.id, "under five points"))
        .await?;

    // Bo resolves it.
    bo.page
        .click(&format!("[data-thread=\"{}\"] [data-act=resolve]", t.id))
        .await?;
    let t = wait_thread(&wire, &t.id, |t| !t.is_open()).await?;
    ensure!(t.resolved.as_ref().is_some_and(|r| r.by == bo_id));

    // Ann goes offline and replies: the page keeps it; the server has nothing yet.
    ann.page.click("[data-act=filter][data-filter=all]").await?;
    ann.wait("the resolved thread in All", &shows(&t.id, "Reopen"))
        .await?;
    ann.page.set_offline(true).await?;
    ann.wait(
        "the page to notice it is offline",
        "document.querySelector('#status')?.textContent === 'offline'",
    )
    .await?;
    let offline = "OFFLINE-reply-k3Q";
    let reply_box = format!("[data-thread=\"{}\"] .comment-reply", t.id);
    ann.page.type_into(&reply_box, offline).await?;
    ann.page
        .click(&format!("[data-thread=\"{}\"] [data-act=reply]", t.id))
        .await?;
    ann.wait(
        "the reply to wait in the page",
        &format!(
            "document.querySelector('#comment-waiting')?.textContent.includes({})",
            json!(offline)
        ),
    )
    .await?;
    ensure!(
        !serde_json::to_string(&threads(&wire))?.contains(offline),
        "a reply written offline reached the server"
    );
    ann.page.set_offline(false).await?;
    let t = wait_thread(&wire, &t.id, |t| {
        t.comments.iter().any(|c| c.text == offline)
    })
    .await?;
    ensure!(t.is_open(), "the reply opens the thread again");
    ann.wait(
        "nothing left waiting",
        "document.querySelector('#comment-waiting')?.textContent === ''",
    )
    .await?;
    // Exactly once, on the server as in the pages.
    let listed = owner
        .call("GET", &format!("/api/boards/{board}/comments"), None)
        .await?
        .body;
    ensure!(listed.matches(offline).count() == 1, "{listed}");
    bo.wait("the offline reply on Bo's page", &shows(&t.id, offline))
        .await?;

    // The end marker: the stock client synced it, and got nothing of the comments.
    let marker = wire.edit(|board: &Board, txn| {
        board.create_note(
            txn,
            NewNote {
                text: "END-MARKER".into(),
                ..NewNote::default()
            },
        )
    })?;
    wire.save().await?;
    let dump = js_peer.await??;
    let dump = dump.last().context("the JS peer printed nothing")?;
    let frames = js_frames(dump)?;
    ensure!(
        frames
            .iter()
            .any(|f| f.windows(marker.len()).any(|w| w == marker.as_bytes())),
        "the stock client did not sync the marker"
    );
    for f in &frames {
        let huddle = wire::decode_frame(f, &wire::Limits::default()).is_ok_and(|ms| {
            ms.iter()
                .any(|m| matches!(m, Message::Huddle(HuddleMessage::CommentEvent(_))))
        });
        ensure!(!huddle, "the stock client got a comment event");
        for text in ["Three points", offline, "under five points"] {
            ensure!(
                !f.windows(text.len()).any(|w| w == text.as_bytes()),
                "the stock client received {text:?}"
            );
        }
    }
    ann.assert_no_errors()?;
    bo.assert_no_errors()?;
    Ok(())
}
