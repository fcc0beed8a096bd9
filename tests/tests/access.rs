//! People and access, on the wire: who may read, write and manage a board is the server's to
//! decide. Each test speaks to the real server as clients that ignore the page's rules: a
//! stock JavaScript y-websocket client holding a share link's key, Rust clients with their own
//! person cookies, raw HTTP calls.

use std::time::Duration;

use anyhow::{Context, ensure};
use huddle_shared::model::NewNote;
use huddle_tests::client::{Client, WAIT};
use huddle_tests::http::{self, metric};
use huddle_tests::js;
use huddle_tests::server::TestServer;
use huddle_tests::visitor::{Visitor, key_of};
use serde_json::{Value, json};
use yrs::Transact;

/// Close code of a connection whose person's role changed (documented in the README).
const ROLE_CHANGED: u16 = 4001;

fn note(client: &Client, text: &str) -> String {
    client.edit(|board, txn| {
        board
            .create_note(
                txn,
                NewNote {
                    text: text.to_owned(),
                    ..NewNote::default()
                },
            )
            .expect("a valid note")
    })
}

fn texts(snapshot: &huddle_shared::model::BoardSnapshot) -> Vec<String> {
    let mut texts: Vec<String> = snapshot.items.values().map(|i| i.text.clone()).collect();
    texts.sort();
    texts
}

/// The board's notes as the server exports them (as the admin).
async fn exported(server: &TestServer, board: &str) -> anyhow::Result<Vec<String>> {
    let res = http::get(server.addr(), &format!("/api/boards/{board}/export.json")).await?;
    ensure!(res.status == 200, "export: {} {}", res.status, res.body);
    Ok(texts(&serde_json::from_str(&res.body)?))
}

/// The share links of a board, as its owner sees them.
async fn links(owner: &Visitor, board: &str) -> anyhow::Result<Value> {
    let res = owner
        .call("GET", &format!("/api/boards/{board}/access"), None)
        .await?;
    ensure!(res.status == 200, "access: {} {}", res.status, res.body);
    Ok(res.json()?["links"].clone())
}

fn link<'a>(links: &'a Value, role: &str) -> anyhow::Result<&'a str> {
    links[role]
        .as_str()
        .with_context(|| format!("no {role} link in {links}"))
}

/// Test 1: a stock JS Yjs client with a viewer link, then a commenter link, syncs the board and
/// sees live edits; its own edits reach no other client, not the export, not the disk (after a
/// restart), and it is told so (y-protocols' "permission denied"). Its sync step 2 on connect,
/// which repeats the board's deletions, counts as synced and is not refused. An editor link
/// writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn share_links_let_viewers_and_commenters_read_and_editors_write() -> anyhow::Result<()> {
    let (mut server, _data) = TestServer::start()?;
    let owner = Visitor::arrive(&server).await?;
    let board = owner.create_board("Refinement").await?;
    let links = links(&owner, &board).await?;
    let mine = owner.join(&board, None).await?;
    let kept = note(&mine, "kept");
    let gone = note(&mine, "deleted");
    mine.edit(|b, txn| b.delete_item(txn, &gone))
        .context("delete")?;
    mine.save().await?;
    // The board holds a deletion, so a stock client's connect-time sync step 2 is not empty.
    ensure!(
        texts(&mine.snapshot()) == ["kept"],
        "{:?}",
        texts(&mine.snapshot())
    );

    let mut text = "kept".to_owned();
    for role in ["viewer", "commenter"] {
        let key = key_of(link(&links, role)?)?.to_owned();
        let (base, id) = (server.ws_base(), board.clone());
        let before = text.clone();
        text.push_str(&format!(" {role}"));
        let script = json!([
            {"op": "wait_synced"},
            {"op": "wait_for_text", "id": kept, "text": before},
            {"op": "sleep", "ms": 300},
            // Nothing refused so far: the connect-time sync step 2 added nothing.
            {"op": "dump_events"},
            {"op": "set_awareness", "state": {"user": {"name": format!("JS {role}")}}},
            // A live edit by the owner reaches it.
            {"op": "wait_for_text", "id": kept, "text": text},
            {"op": "create_note", "id": format!("from-{role}"), "x": 1, "y": 2, "text": "not allowed"},
            {"op": "wait_for_denial"},
            {"op": "dump_events"},
        ]);
        let js = tokio::spawn(async move { js::run(&base, &id, Some(&key), script).await });
        // Once the JS client announced itself, the owner edits.
        mine.wait_peers(|p| p.iter().any(|s| s["user"]["name"] == format!("JS {role}")))
            .await?;
        let at = before.encode_utf16().count() as u32;
        mine.edit(|b, txn| b.insert_text(txn, &kept, at, &format!(" {role}")))
            .context("edit")?;
        mine.save().await?;
        let out = js.await??;
        ensure!(
            out[0]["denials"] == json!([]),
            "{role}: refused on connect: {}",
            out[0]
        );
        let denials = out[1]["denials"].as_array().context("denials")?;
        ensure!(
            denials
                .iter()
                .any(|d| d.as_str().is_some_and(|d| d.contains("read-only"))),
            "{role} was not told why: {}",
            out[1]
        );
        // The refused note reached nobody: the owner's replica, after a round trip; the export.
        mine.save().await?;
        ensure!(
            !texts(&mine.snapshot()).contains(&"not allowed".to_owned()),
            "a {role}'s note reached the owner"
        );
        ensure!(
            !exported(&server, &board)
                .await?
                .contains(&"not allowed".to_owned()),
            "a {role}'s note was exported"
        );
    }
    ensure!(
        metric(server.addr(), "huddle_refused_writes_total").await? >= 2.0,
        "refusals not counted"
    );

    // An editor link writes.
    let key = key_of(link(&links, "editor")?)?.to_owned();
    let script = json!([
        {"op": "wait_synced"},
        {"op": "create_note", "id": "from-editor", "x": 1, "y": 2, "text": "allowed"},
        {"op": "flush"},
        {"op": "dump_events"},
    ]);
    let out = js::run(&server.ws_base(), &board, Some(&key), script).await?;
    ensure!(out[0]["denials"] == json!([]), "editor refused: {}", out[0]);
    mine.wait_until(|s| texts(s).contains(&"allowed".to_owned()))
        .await
        .map_err(|_| anyhow::anyhow!("the editor's note did not arrive"))?;
    drop(mine);

    // On disk: after a restart, what editors wrote is there, nothing of the others. (A
    // graceful stop: the JS client's last write was applied, not yet necessarily on disk.)
    ensure!(server.stop()? == 0, "unclean exit");
    server.restart()?;
    let stored = exported(&server, &board).await?;
    ensure!(
        stored == ["allowed", "kept viewer commenter"],
        "stored after restart: {stored:?}"
    );
    Ok(())
}

/// Test 2: without a role a board does not exist for you (HTTP 404 like an unknown id, the
/// WebSocket refused, not listed); a rotated link lets nobody new in while those who joined
/// keep their role; a removed person is disconnected (4001) and cannot come back, not even
/// through a link; a changed role takes effect on the reconnect; only owners manage.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_links_rotation_and_removal() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let owner = Visitor::arrive(&server).await?;
    let board = owner.create_board("Private").await?;
    let stranger = Visitor::arrive(&server).await?;

    // Nothing for a stranger, and it looks like nothing at all.
    let unknown = stranger
        .call("GET", "/api/boards/nosuchboard", None)
        .await?;
    for (method, path) in [
        ("GET", format!("/api/boards/{board}")),
        ("GET", format!("/api/boards/{board}/export.json")),
        ("GET", format!("/api/boards/{board}/export?format=csv")),
        ("GET", format!("/api/boards/{board}/access")),
        ("PATCH", format!("/api/boards/{board}")),
        ("DELETE", format!("/api/boards/{board}")),
    ] {
        let body = (method == "PATCH").then(|| json!({"title": "mine now"}));
        let res = stranger.call(method, &path, body).await?;
        ensure!(
            res.status == 404,
            "{method} {path}: {} {}",
            res.status,
            res.body
        );
        ensure!(
            res.body.replace(&board, "nosuchboard") == unknown.body,
            "{method} {path} tells the board exists: {}",
            res.body
        );
    }
    let listed = stranger.call("GET", "/api/boards", None).await?;
    ensure!(listed.json()? == json!([]), "listed: {}", listed.body);
    let refused = stranger.connect(&board, None).await;
    ensure!(
        refused.is_err_and(|e| format!("{e:#}").contains("404")),
        "a stranger's WebSocket was let in"
    );
    let wrong = stranger.connect(&board, Some(&"A".repeat(43))).await;
    ensure!(wrong.is_err(), "a made-up key was let in");

    // A viewer link, opened once, is remembered.
    let links = links(&owner, &board).await?;
    let ana = Visitor::arrive(&server).await?;
    let opened = ana.open_link(link(&links, "viewer")?).await?;
    ensure!(
        opened.status == 303 && opened.header("location") == Some(&format!("/b/{board}")),
        "opening the link: {} {:?}",
        opened.status,
        opened.header("location")
    );
    let shown = ana
        .call("GET", &format!("/api/boards/{board}"), None)
        .await?;
    ensure!(shown.json()?["role"] == "viewer", "{}", shown.body);
    let ana_listed = ana.call("GET", "/api/boards", None).await?.json()?;
    ensure!(ana_listed[0]["id"] == board.as_str(), "{ana_listed}");

    // A browser that opens the link as its very first request gets its person (the cookie)
    // and the role in the same answer.
    let first =
        http::request_as(server.addr(), "GET", link(&links, "commenter")?, None, &[]).await?;
    let cookie = first
        .set_cookie()
        .and_then(|c| c.split(';').next())
        .context("no cookie with the first answer")?
        .to_owned();
    ensure!(first.status == 303, "first visit: {}", first.status);
    let res = http::request_as(
        server.addr(),
        "GET",
        &format!("/api/boards/{board}"),
        None,
        &[("Cookie", &cookie)],
    )
    .await?;
    ensure!(
        res.status == 200 && res.json()?["role"] == "commenter",
        "{}",
        res.body
    );

    // Rotation: the old key lets nobody new in; Ana keeps her role.
    let rotated = owner
        .call(
            "POST",
            &format!("/api/boards/{board}/links/viewer/rotate"),
            None,
        )
        .await?;
    ensure!(rotated.status == 200, "rotate: {}", rotated.body);
    let new_links = rotated.json()?["links"].clone();
    ensure!(
        new_links["viewer"] != links["viewer"],
        "the key did not change"
    );
    ensure!(
        new_links["editor"] == links["editor"],
        "another link changed"
    );
    let bob = Visitor::arrive(&server).await?;
    bob.open_link(link(&links, "viewer")?).await?;
    let res = bob
        .call("GET", &format!("/api/boards/{board}"), None)
        .await?;
    ensure!(
        res.status == 404,
        "the rotated link let Bob in: {}",
        res.body
    );
    let old_key = key_of(link(&links, "viewer")?)?;
    ensure!(
        bob.connect(&board, Some(old_key)).await.is_err(),
        "the rotated key opened a WebSocket"
    );
    let ana_client = ana.join(&board, None).await?;

    // Removal: Ana is disconnected and stays out, whatever link she opens.
    let res = owner
        .call(
            "DELETE",
            &format!("/api/boards/{board}/people/{}", ana.id),
            None,
        )
        .await?;
    ensure!(res.status == 200, "remove: {} {}", res.status, res.body);
    let (code, reason) = ana_client.closed().await?;
    ensure!(code == ROLE_CHANGED, "closed with {code} {reason:?}");
    ensure!(ana.connect(&board, None).await.is_err(), "Ana came back");
    ana.open_link(link(&new_links, "viewer")?).await?;
    let res = ana
        .call("GET", &format!("/api/boards/{board}"), None)
        .await?;
    ensure!(
        res.status == 404,
        "a link let a removed person back: {}",
        res.body
    );

    // A role change closes the connection; the reconnect has the new role.
    bob.open_link(link(&new_links, "viewer")?).await?;
    let bob_client = bob.join(&board, None).await?;
    note(&bob_client, "refused");
    bob_client
        .wait_state_for(|s| !s.denials.is_empty())
        .await
        .context("Bob's write was not refused")?;
    let res = owner
        .call(
            "PUT",
            &format!("/api/boards/{board}/people/{}", bob.id),
            Some(json!({"role": "editor"})),
        )
        .await?;
    ensure!(res.status == 200, "set role: {}", res.body);
    ensure!(
        bob_client.closed().await?.0 == ROLE_CHANGED,
        "Bob was not reconnected"
    );
    let bob_client = bob.join(&board, None).await?;
    note(&bob_client, "accepted");
    bob_client.save().await?;
    ensure!(
        exported(&server, &board).await? == ["accepted"],
        "Bob's writes: {:?}",
        exported(&server, &board).await?
    );

    // Only owners manage: Bob, an editor, may not.
    for (method, path, body) in [
        ("GET", format!("/api/boards/{board}/access"), None),
        (
            "POST",
            format!("/api/boards/{board}/links/editor/rotate"),
            None,
        ),
        (
            "PUT",
            format!("/api/boards/{board}/people/{}", bob.id),
            Some(json!({"role": "owner"})),
        ),
        (
            "PATCH",
            format!("/api/boards/{board}"),
            Some(json!({"title": "Bob's"})),
        ),
        ("DELETE", format!("/api/boards/{board}"), None),
    ] {
        let res = bob.call(method, &path, body).await?;
        ensure!(
            res.status == 403,
            "{method} {path} by an editor: {} {}",
            res.status,
            res.body
        );
    }
    // The last owner cannot leave; an owner renames, and everyone sees it.
    let res = owner
        .call(
            "PUT",
            &format!("/api/boards/{board}/people/{}", owner.id),
            Some(json!({"role": "editor"})),
        )
        .await?;
    ensure!(
        res.status == 409,
        "the last owner left: {} {}",
        res.status,
        res.body
    );
    let res = owner
        .call(
            "PATCH",
            &format!("/api/boards/{board}"),
            Some(json!({"title": "Renamed"})),
        )
        .await?;
    ensure!(res.status == 200, "rename: {} {}", res.status, res.body);
    let renamed =
        |c: &Client| c.board.title(&c.board.doc().transact()).as_deref() == Some("Renamed");
    tokio::time::timeout(WAIT, async {
        while !renamed(&bob_client) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .context("the rename did not reach Bob")?;
    let listed = bob.call("GET", "/api/boards", None).await?.json()?;
    ensure!(
        listed[0]["title"] == "Renamed" && listed[0]["role"] == "editor",
        "{listed}"
    );

    // Renaming through the document instead: the title is put back for everyone, Bob is
    // told, the list keeps the owner's title; the rest of his update stands.
    let owners = owner.join(&board, None).await?;
    let items = owners.snapshot().items.len();
    bob_client.edit(|b, txn| {
        b.set_title(txn, "Bob's now");
        b.create_note(txn, NewNote::default()).expect("a note")
    });
    bob_client
        .wait_state_for(|s| s.denials.iter().any(|d| d.contains("title")))
        .await
        .context("Bob was not told")?;
    owners.save().await?;
    for c in [&owners, &bob_client] {
        tokio::time::timeout(WAIT, async {
            while !renamed(c) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .context("the title was not put back")?;
    }
    ensure!(
        owners.snapshot().items.len() == items + 1,
        "Bob's note was dropped"
    );
    let listed = owner.call("GET", "/api/boards", None).await?.json()?;
    ensure!(listed[0]["title"] == "Renamed", "{listed}");
    Ok(())
}

/// Test 4: presence cannot claim to be someone else: not another person's id, not another
/// person's name. What is refused is never relayed, and the sender is told; honest presence
/// is relayed with the sender's person id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_cannot_claim_another_person() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let ana = Visitor::arrive(&server).await?;
    let bob = Visitor::arrive(&server).await?;
    for (who, name) in [(&ana, "Ana"), (&bob, "Bob")] {
        let res = who
            .call("PUT", "/api/me", Some(json!({"name": name})))
            .await?;
        ensure!(
            res.status == 200 && res.json()?["name"] == name,
            "{}",
            res.body
        );
    }
    let board = ana.create_board("Presence").await?;
    let links = links(&ana, &board).await?;
    bob.open_link(link(&links, "editor")?).await?;
    let watcher = ana.join(&board, None).await?;
    let intruder = bob.join(&board, None).await?;

    let forgeries = [
        json!({"user": {"id": ana.id, "name": "Bob"}}),
        json!({"user": {"name": "Ana"}}),
        json!({"user": {"name": " ana "}}),
    ];
    for (i, state) in forgeries.iter().enumerate() {
        intruder.set_awareness(state.clone())?;
        intruder
            .wait_state_for(|s| s.denials.len() > i)
            .await
            .with_context(|| format!("forgery {state} was not refused"))?;
    }
    // Honest presence goes through, stamped with Bob's person id; the forgeries never did.
    intruder.set_awareness(json!({"user": {"name": "Bob", "color": "#1971c2"}}))?;
    let seen = watcher.wait_peers(|p| p.len() == 1).await?;
    ensure!(seen[0]["user"]["name"] == "Bob", "watcher saw {seen:?}");
    let stamped = watcher.peers_with_ids();
    ensure!(
        stamped[0]["user"]["id"] == bob.id.as_str(),
        "stamped: {stamped:?}"
    );
    ensure!(
        metric(server.addr(), "huddle_refused_presence_total").await? >= 3.0,
        "refusals not counted"
    );

    // A stock JS client (no cookie: someone new) may not take a board member's name either.
    let key = key_of(link(&links, "viewer")?)?.to_owned();
    let out = js::run(
        &server.ws_base(),
        &board,
        Some(&key),
        json!([
            {"op": "wait_synced"},
            {"op": "set_awareness", "state": {"user": {"name": "Ana"}}},
            {"op": "wait_for_denial"},
            {"op": "dump_events"},
        ]),
    )
    .await?;
    ensure!(
        out[0]["denials"][0]
            .as_str()
            .is_some_and(|d| d.contains("another person's name")),
        "{}",
        out[0]
    );
    Ok(())
}

/// With `--trusted-user-header`, people come from the proxy's header: the same user is the same
/// person on every request (no cookie needed), different users are different people, and a
/// request without the header is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trusted_proxy_header_names_people() -> anyhow::Result<()> {
    let data = huddle_tests::server::DataDir::new();
    let server = TestServer::start_on(data.path(), &["--trusted-user-header", "X-Forwarded-User"])?;
    let addr = server.addr();
    let call = |method: &'static str,
                path: String,
                body: Option<Value>,
                user: Option<&'static str>| async move {
        let headers: Vec<(&str, &str)> =
            user.map(|u| ("X-Forwarded-User", u)).into_iter().collect();
        http::request_as(addr, method, &path, body.map(|b| b.to_string()), &headers).await
    };
    let nobody = call("GET", "/api/me".into(), None, None).await?;
    ensure!(
        nobody.status == 401,
        "no header: {} {}",
        nobody.status,
        nobody.body
    );
    let me = |user| async move {
        let res = call("GET", "/api/me".into(), None, Some(user)).await?;
        ensure!(
            res.set_cookie().is_none(),
            "a cookie was set behind the proxy"
        );
        res.json()
    };
    let ana = me("ana@example.com").await?;
    ensure!(
        ana == me("ana@example.com").await?,
        "not the same person twice"
    );
    ensure!(ana["name"] == "ana@example.com", "{ana}");
    let bob = me("bob@example.com").await?;
    ensure!(bob["id"] != ana["id"], "two users, one person");

    let body = Some(json!({"title": "Ana's"}));
    let created = call("POST", "/api/boards".into(), body, Some("ana@example.com")).await?;
    ensure!(created.status == 201, "{}", created.body);
    let id = created.json()?["id"].as_str().context("id")?.to_owned();
    let path = format!("/api/boards/{id}");
    let for_ana = call("GET", path.clone(), None, Some("ana@example.com")).await?;
    ensure!(for_ana.status == 200, "Ana cannot see her board");
    let for_bob = call("GET", path, None, Some("bob@example.com")).await?;
    ensure!(for_bob.status == 404, "Bob sees Ana's board");
    Ok(())
}
