//! Comments on the wire, with connections that ignore the page's rules: a thread with a
//! mention, a reply, an edit and a resolve reaches everyone who said hello (viewers too) and
//! no connection that did not; a request that names an author is refused and closes its
//! connection; nobody edits or deletes someone else's comment (an owner may delete any); a
//! viewer cannot comment; acknowledged comments survive `kill -9`; a comment sent again
//! after a reconnect is not duplicated; the HTTP read and the exports carry the threads; the
//! contribution balance counts them.

use anyhow::{Context, ensure};
use huddle_shared::comments::{Anchor, Command, Event, Request};
use huddle_shared::model::{Board, NewNote};
use huddle_shared::wire::{self, HuddleMessage, Message};
use huddle_tests::client::Client;
use huddle_tests::comments::{
    self as com, ack, delete, edit, hello, refused, reply, start_on, threads, wait_thread,
};
use huddle_tests::facilitation as fac;
use huddle_tests::rounds::Team;
use huddle_tests::server::TestServer;

/// A note on the board, created by `client` (an editor or owner); its id.
async fn add_note(client: &Client, text: &str) -> anyhow::Result<String> {
    let id = client.edit(|board: &Board, txn| {
        board.create_note(
            txn,
            NewNote {
                text: text.into(),
                pos: [100.0, 100.0],
                ..NewNote::default()
            },
        )
    })?;
    client.save().await?;
    Ok(id)
}

/// Whether any frame `client` recorded holds a comment event.
fn got_comment_events(client: &Client) -> bool {
    client.frames().iter().any(|f| {
        wire::decode_frame(f, &wire::Limits::default()).is_ok_and(|ms| {
            ms.iter()
                .any(|m| matches!(m, Message::Huddle(HuddleMessage::CommentEvent(_))))
        })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thread_with_a_mention_a_reply_an_edit_and_a_resolve_reaches_everyone()
-> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let team = Team::start(&server, "Olga Owner").await?;
    let ann = team.member(&server, "commenter", "Ann Lee").await?;
    let bo = team.member(&server, "editor", "Bo").await?;
    let vic = team.member(&server, "viewer", "Vic").await?;
    let owner = team.owner.join(&team.board, None).await?;
    let note = add_note(&owner, "Pay with saved card").await?;
    let a = ann.join(&team.board, None).await?;
    let b = bo.join(&team.board, None).await?;
    let v = vic.join(&team.board, None).await?;
    // A connection that never says hello, recording every frame (as a stock client).
    let quiet = Client::connect_recording(
        &server.ws_url_bare(&team.board),
        Board::new(),
        &[("Cookie", &vic.cookie)],
    )
    .await?;
    quiet.wait_synced().await?;
    for c in [&owner, &a, &b, &v] {
        hello(c).await?;
    }
    fac::hello(&owner).await?;
    let offered: Vec<String> = com::people(&a).into_iter().map(|p| p.name).collect();
    for name in ["Ann Lee", "Bo", "Olga Owner", "Vic"] {
        ensure!(
            offered.iter().any(|n| n == name),
            "{name} not offered: {offered:?}"
        );
    }

    ack(
        &a,
        start_on(&note, "t1", "c1", "@Bo is this a small story?"),
    )
    .await?;
    let t = wait_thread(&v, "t1", |t| t.comments.len() == 1).await?;
    let first = &t.comments[0];
    ensure!(
        first.author == ann.id && first.name == "Ann Lee",
        "{first:?}"
    );
    ensure!(
        first.mentions == [bo.id.clone()],
        "mentions: {:?}",
        first.mentions
    );
    ensure!(t.anchor == Anchor::Item { item: note.clone() });

    ack(&b, reply("t1", "c2", "Yes, about 3 points")).await?;
    ack(
        &a,
        edit("t1", "c1", "@Bo @Olga Owner is this a small story?"),
    )
    .await?;
    let t = wait_thread(&b, "t1", |t| t.comments[0].edited_at.is_some()).await?;
    ensure!(t.comments[0].mentions == [bo.id.clone(), team.owner.id.clone()]);
    ensure!(t.comments[1].author == bo.id);

    // Nobody edits someone else's comment; only its author or an owner deletes it.
    let why = refused(&a, edit("t1", "c2", "No, 13 points")).await?;
    ensure!(why.contains("only your own"), "{why}");
    let why = refused(&b, delete("t1", "c1")).await?;
    ensure!(why.contains("only your own"), "{why}");
    // Taking someone's comment id for one's own is refused too.
    let why = refused(&a, reply("t1", "c2", "mine now")).await?;
    ensure!(why.contains("taken"), "{why}");

    ack(
        &b,
        Command::Resolve {
            thread: "t1".into(),
        },
    )
    .await?;
    let t = wait_thread(&a, "t1", |t| !t.is_open()).await?;
    ensure!(t.resolved.as_ref().is_some_and(|r| r.by == bo.id));
    ensure!(t.comments[1].text == "Yes, about 3 points");
    ack(
        &a,
        Command::Reopen {
            thread: "t1".into(),
        },
    )
    .await?;
    wait_thread(&owner, "t1", |t| t.is_open()).await?;
    ack(&owner, delete("t1", "c2")).await?;
    wait_thread(&v, "t1", |t| {
        t.comments[1].deleted && t.comments[1].text.is_empty()
    })
    .await?;

    // The note moves: the thread names the item, not a place, so nothing about it changes.
    owner.edit(|board: &Board, txn| board.move_item(txn, &note, [900.0, 40.0]))?;
    owner.save().await?;
    ensure!(threads(&v)["t1"].anchor == Anchor::Item { item: note.clone() });

    // The contribution balance counts the thread and the reply.
    fac::wait_balance(&owner, |people| {
        people.iter().any(|c| c.person == ann.id && c.comments == 1)
            && people.iter().any(|c| c.person == bo.id && c.comments == 1)
    })
    .await?;

    // The HTTP read (a viewer may read) and the exports carry the thread.
    let res = vic
        .call("GET", &format!("/api/boards/{}/comments", team.board), None)
        .await?;
    ensure!(res.status == 200, "{} {}", res.status, res.body);
    let listed = res.json()?;
    ensure!(listed[0]["id"] == "t1" && listed[0]["comments"][0]["author"] == ann.id.as_str());
    let md = vic
        .call(
            "GET",
            &format!("/api/boards/{}/export?format=markdown", team.board),
            None,
        )
        .await?;
    ensure!(md.body.contains("## Comments"), "{}", md.body);
    ensure!(
        md.body.contains("On \"Pay with saved card\" (open)"),
        "{}",
        md.body
    );
    ensure!(
        md.body.contains("@Bo @Olga Owner is this a small story?"),
        "{}",
        md.body
    );
    let json = vic
        .call(
            "GET",
            &format!("/api/boards/{}/export.json", team.board),
            None,
        )
        .await?
        .json()?;
    ensure!(
        json["comments"][0]["comments"][0]["author"] == ann.id.as_str(),
        "{json}"
    );

    // The note is deleted: its thread stays, readable, and the export says what it was on.
    owner.edit(|board: &Board, txn| board.delete_item(txn, &note))?;
    owner.save().await?;
    let res = vic
        .call("GET", &format!("/api/boards/{}/comments", team.board), None)
        .await?;
    let listed = res.json()?;
    ensure!(
        listed[0]["comments"][0]["text"] == "@Bo @Olga Owner is this a small story?",
        "{listed}"
    );
    let md = vic
        .call(
            "GET",
            &format!("/api/boards/{}/export?format=markdown", team.board),
            None,
        )
        .await?;
    ensure!(md.body.contains("On a deleted item (open)"), "{}", md.body);

    // The connection that never said hello got none of it, and still syncs.
    ensure!(
        !got_comment_events(&quiet),
        "a connection that did not say hello got comments"
    );
    quiet
        .wait_until(|snap| !snap.items.contains_key(&note))
        .await
        .context("the quiet client did not sync the deletion")?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_author_is_refused_and_a_viewer_cannot_comment() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let team = Team::start(&server, "Olga Owner").await?;
    let ann = team.member(&server, "commenter", "Ann").await?;
    let bo = team.member(&server, "editor", "Bo").await?;
    let vic = team.member(&server, "viewer", "Vic").await?;
    let b = bo.join(&team.board, None).await?;
    hello(&b).await?;
    let a = ann.join(&team.board, None).await?;
    hello(&a).await?;

    // Ann's page claims Bo wrote it: the request is refused, the connection closed, and
    // nothing is stored or sent.
    let forged = format!(
        r#"{{"req":1,"op":"start","thread":"tf","anchor":{{"on":"point","pos":[0,0]}},"comment":"cf","text":"signed, Bo","author":"{}"}}"#,
        bo.id
    );
    let mut body = Vec::new();
    body.push(6u8); // comment request
    body.extend(huddle_tests::crafted::var_buf(forged.as_bytes()));
    let mut frame = vec![100u8]; // Huddle's message type
    frame.extend(huddle_tests::crafted::var_buf(&body));
    a.send_raw(frame);
    let (code, reason) = a.closed().await?;
    ensure!(
        reason.contains("may not name its author"),
        "closed {code}: {reason}"
    );
    // Bo's connection still works and never heard of the thread.
    ack(
        &b,
        Command::Start {
            thread: "tb".into(),
            anchor: Anchor::Point { pos: [10.0, 20.0] },
            comment: "cb".into(),
            text: "mine".into(),
        },
    )
    .await?;
    ensure!(!threads(&b).contains_key("tf"));
    let res = bo
        .call("GET", &format!("/api/boards/{}/comments", team.board), None)
        .await?;
    ensure!(!res.body.contains("signed, Bo"), "{}", res.body);

    // A viewer reads the threads but cannot write, reply or resolve.
    let v = vic.join(&team.board, None).await?;
    hello(&v).await?;
    ensure!(threads(&v).contains_key("tb"));
    let why = refused(&v, start_on("x", "tv", "cv", "let me in")).await?;
    ensure!(why.contains("viewer"), "{why}");
    refused(&v, reply("tb", "cv2", "me too")).await?;
    refused(
        &v,
        Command::Resolve {
            thread: "tb".into(),
        },
    )
    .await?;
    wait_thread(&b, "tb", |t| t.comments.len() == 1 && t.is_open()).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comments_survive_kill_9_after_acknowledgement_and_resending_duplicates_nothing()
-> anyhow::Result<()> {
    let (mut server, _data) = TestServer::start()?;
    let team = Team::start(&server, "Olga Owner").await?;
    let mut ann = team.member(&server, "commenter", "Ann").await?;
    let a = ann.join(&team.board, None).await?;
    hello(&a).await?;
    let start = start_on("some-item", "t1", "c1", "written before the crash");
    ack(&a, start.clone()).await?;
    ack(&a, reply("t1", "c2", "and a reply")).await?;
    // Acknowledged means on disk: the process dies with no chance to flush.
    server.kill9();
    a.abort();
    server.restart()?;
    ann.come_back(&server);
    let a = ann.join(&team.board, None).await?;
    hello(&a).await?;
    let t = threads(&a)
        .remove("t1")
        .context("the thread is gone after kill -9")?;
    ensure!(
        t.comments.len() == 2 && t.comments[1].text == "and a reply",
        "{t:?}"
    );
    // The page never saw the acks (it sends its queue again): acknowledged, not duplicated.
    ack(&a, start).await?;
    ack(&a, reply("t1", "c2", "and a reply")).await?;
    let res = ann
        .call("GET", &format!("/api/boards/{}/comments", team.board), None)
        .await?;
    let listed = res.json()?;
    ensure!(
        listed.as_array().map(Vec::len) == Some(1)
            && listed[0]["comments"].as_array().map(Vec::len) == Some(2),
        "{listed}"
    );
    // Requests in one frame with a page's own numbers are answered in order.
    let frame = wire::encode_huddle(&HuddleMessage::CommentRequest(Request {
        req: 900,
        cmd: reply("t1", "c3", "third"),
    }));
    a.send_raw(frame);
    a.wait_state_for(|s| {
        s.comment_events
            .iter()
            .any(|e| matches!(e, Event::Ack { req: 900 }))
    })
    .await?;
    Ok(())
}

/// Entries of `who`'s inbox (`GET /api/me/inbox`) as (kind, text), waiting until `want`
/// holds (the notifier writes them in the background).
async fn inbox_until(
    who: &huddle_tests::visitor::Visitor,
    want: impl Fn(&[(String, String)]) -> bool,
) -> anyhow::Result<Vec<(String, String)>> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let res = who.call("GET", "/api/me/inbox", None).await?;
        ensure!(res.status == 200, "inbox: {} {}", res.status, res.body);
        let body: serde_json::Value = serde_json::from_str(&res.body)?;
        let entries: Vec<(String, String)> = body["entries"]
            .as_array()
            .context("entries")?
            .iter()
            .map(|e| {
                let s = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
                (s("kind"), s("text"))
            })
            .collect();
        if want(&entries) || std::time::Instant::now() > deadline {
            return Ok(entries);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Comments feed the rest of issue 14: a mention lands in the inbox of the one mentioned, a
/// reply in the inbox of the thread's earlier writer (one entry each, never the author's
/// own), and both are rows of "since you last looked" for someone who was away.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mentions_and_replies_reach_inboxes_and_the_since_list() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let team = Team::start(&server, "Olga Owner").await?;
    let ann = team.member(&server, "commenter", "Ann Lee").await?;
    let bo = team.member(&server, "editor", "Bo").await?;
    // Olga writes a note and leaves: what she saw is recorded.
    let owner = team.owner.join(&team.board, None).await?;
    let note = add_note(&owner, "Pay with saved card").await?;
    owner.close().await;
    let since_path = format!("/api/boards/{}/since", team.board);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let res = team.owner.call("GET", &since_path, None).await?;
        let body: serde_json::Value = serde_json::from_str(&res.body)?;
        if body["first_visit"] == false {
            break;
        }
        ensure!(std::time::Instant::now() < deadline, "no seen mark: {body}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    let a = ann.join(&team.board, None).await?;
    let b = bo.join(&team.board, None).await?;
    hello(&a).await?;
    hello(&b).await?;
    ack(
        &a,
        start_on(&note, "t1", "c1", "@Bo is this a small story?"),
    )
    .await?;
    ack(&b, reply("t1", "c2", "Yes, about 3 points")).await?;

    let bos = inbox_until(&bo, |e| e.iter().any(|(k, _)| k == "mention")).await?;
    ensure!(
        bos.iter()
            .any(|(k, t)| k == "mention" && t.contains("Ann Lee")),
        "Bo's inbox: {bos:?}"
    );
    ensure!(
        !bos.iter().any(|(k, _)| k == "reply"),
        "Bo got his own reply: {bos:?}"
    );
    let anns = inbox_until(&ann, |e| e.iter().any(|(k, _)| k == "reply")).await?;
    ensure!(
        anns.iter().any(|(k, t)| k == "reply" && t.contains("Bo")),
        "Ann's inbox: {anns:?}"
    );
    ensure!(
        !anns.iter().any(|(k, _)| k == "mention"),
        "Ann was not mentioned: {anns:?}"
    );

    // Olga, back: both comments are in her list, by their authors, on the note.
    let res = team.owner.call("GET", &since_path, None).await?;
    let body: serde_json::Value = serde_json::from_str(&res.body)?;
    let mut comments: Vec<(String, String)> = body["changes"]
        .as_array()
        .context("changes")?
        .iter()
        .filter(|c| c["kinds"] == serde_json::json!(["comment"]))
        .map(|c| {
            ensure!(c["item"] == note.as_str(), "not on the note: {c}");
            Ok((
                c["by"][0].as_str().unwrap_or_default().to_owned(),
                c["title"].as_str().unwrap_or_default().to_owned(),
            ))
        })
        .collect::<anyhow::Result<_>>()?;
    comments.sort();
    ensure!(
        comments
            == [
                (
                    "Ann Lee".to_owned(),
                    "@Bo is this a small story?".to_owned()
                ),
                ("Bo".to_owned(), "Yes, about 3 points".to_owned()),
            ],
        "since: {body}"
    );
    Ok(())
}
