//! "Since you last looked" in real browsers: Ann writes notes and leaves; Bob (an editor,
//! without a browser) creates, edits, moves and deletes while she is away. Ann reopens the
//! board: the panel lists exactly Bob's four changes, by him, and outlines the three still
//! on the canvas; `.` centres the first. The same person in a second browser profile (her
//! person cookie, as on another device) sees the same list; "Mark all seen" there clears
//! it, and her next visit in the first profile lists nothing.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::{Context, ensure};
use huddle_shared::model::NewNote;
use huddle_tests::browser::Browser;
use huddle_tests::person::{Person, READY};
use huddle_tests::rounds::Team;
use huddle_tests::server::TestServer;
use huddle_tests::visitor::Visitor;
use serde_json::{Value, json};

fn note(text: &str, x: f64) -> NewNote {
    NewNote {
        pos: [x, 0.0],
        text: text.into(),
        author: "test".into(),
        ..Default::default()
    }
}

/// `who` in a fresh browser profile that carries their person cookie, on `board`.
async fn open_as(
    server: &TestServer,
    who: &Visitor,
    name: &'static str,
    board: &str,
) -> anyhow::Result<Person> {
    let browser = Browser::launch().await?;
    let page = browser.new_page(&server.http_url("/api/me")).await?;
    let (cookie, value) = who.cookie.split_once('=').context("cookie without =")?;
    page.call(
        "Network.setCookie",
        json!({ "name": cookie, "value": value, "url": server.http_url("/"), "httpOnly": true }),
    )
    .await?;
    page.goto(&server.http_url(&format!("/b/{board}"))).await?;
    let person = Person {
        name,
        page,
        browser,
    };
    person.wait("the board page to connect", READY).await?;
    ensure!(
        person.page.eval("huddle.me().id").await? == who.id.as_str(),
        "the page is not {name}'s person"
    );
    Ok(person)
}

/// The panel's rows as (item, kinds), and whether each names Bob.
async fn rows(p: &Person) -> anyhow::Result<(BTreeSet<(String, String)>, bool)> {
    let rows = p
        .page
        .eval(
            "[...document.querySelectorAll('#since-list li')]
               .map(li => [li.dataset.item, li.dataset.kinds, li.textContent])",
        )
        .await?;
    let rows = rows.as_array().context("rows")?;
    let all_bob = rows
        .iter()
        .all(|r| r[2].as_str().is_some_and(|t| t.starts_with("Bob Editor ")));
    let set = rows
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap_or_default().to_owned(),
                r[1].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    Ok((set, all_bob))
}

/// The server's report for the page's person, fetched by the page.
async fn report(p: &Person, board: &str) -> anyhow::Result<Value> {
    p.page
        .eval(&format!(
            "fetch('/api/boards/{board}/since', {{ credentials: 'same-origin' }}).then(r => r.json())"
        ))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sees_what_b_changed_while_away_on_both_profiles() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let team = Team::start(&server, "Ann Owner").await?;
    let ann = &team.owner;
    let bob = team.member(&server, "editor", "Bob Editor").await?;
    let board = team.board.as_str();

    // Ann has the board open in her first profile while she writes four notes, then closes it.
    let first = open_as(&server, ann, "Ann", board).await?;
    let a = ann.join(board, None).await?;
    let [edit, moved, gone, _kept] = a.edit(|b, txn| -> anyhow::Result<_> {
        Ok([
            b.create_note(txn, note("Edit me", 0.0))?,
            b.create_note(txn, note("Move me", 300.0))?,
            b.create_note(txn, note("Delete me", 600.0))?,
            b.create_note(txn, note("Untouched", 900.0))?,
        ])
    })?;
    a.save().await?;
    a.close().await;
    first
        .wait(
            "Ann's page to have the notes",
            "Object.keys(huddle.snapshot().items).length === 4",
        )
        .await?;
    ensure!(first.page.eval("huddle.since().listed").await? == 0);
    first.page.close().await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let r = ann
            .call("GET", &format!("/api/boards/{board}/since"), None)
            .await?;
        if r.json()?["first_visit"] == false {
            break;
        }
        ensure!(
            tokio::time::Instant::now() < deadline,
            "Ann's visit was not recorded"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Bob, while she is away.
    let b = bob.join(board, None).await?;
    let created = b.edit(|bd, txn| -> anyhow::Result<_> {
        let id = bd.create_note(txn, note("Bob's idea", 0.0))?;
        bd.move_item(txn, &id, [0.0, 400.0])?;
        bd.insert_text(txn, &edit, 0, "Edited: ")?;
        bd.move_item(txn, &moved, [300.0, 800.0])?;
        bd.delete_item(txn, &gone)?;
        Ok(id)
    })?;
    b.save().await?;
    b.close().await;

    let expected: BTreeSet<(String, String)> = [
        (created.clone(), "created"),
        (edit.clone(), "edited"),
        (moved.clone(), "moved"),
        (gone.clone(), "deleted"),
    ]
    .into_iter()
    .map(|(i, k)| (i, k.to_owned()))
    .collect();

    // Ann reopens the board in her first profile (a new tab).
    let mut first = first;
    first.page = first
        .browser
        .new_page(&server.http_url(&format!("/b/{board}")))
        .await?;
    first.wait("the board page to connect", READY).await?;
    first
        .wait(
            "the list of Bob's changes",
            "!document.querySelector('#since-panel').hidden
               && document.querySelectorAll('#since-list li').length === 4",
        )
        .await?;
    let (listed, all_bob) = rows(&first).await?;
    ensure!(
        listed == expected,
        "listed {listed:?}, expected {expected:?}"
    );
    ensure!(all_bob, "a row does not name Bob");
    let mut outlined: Vec<String> =
        serde_json::from_value(first.page.eval("huddle.since().outlined").await?)?;
    outlined.sort();
    let mut on_canvas = vec![created.clone(), edit.clone(), moved.clone()];
    on_canvas.sort();
    ensure!(outlined == on_canvas, "outlined {outlined:?}");

    // `.` centres a change: the camera's centre is the centre of the item it names.
    first.page.press(".", 0).await?;
    let current = first
        .wait("a change centred", "huddle.since().current")
        .await?;
    let current = current.as_str().context("current")?.to_owned();
    ensure!(on_canvas.contains(&current), "centred {current}");
    let centre = first.item_center(&current).await?;
    let size = first
        .page
        .eval("(() => { const r = document.querySelector('canvas').getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()")
        .await?;
    let size: [f64; 2] = serde_json::from_value(size)?;
    ensure!(
        (centre[0] - size[0]).abs() < 2.0 && (centre[1] - size[1]).abs() < 2.0,
        "{current} is at {centre:?}, the canvas centre at {size:?}"
    );
    first
        .wait(
            "its row marked",
            &format!(
                "document.querySelector('#since-list li[aria-current]')?.dataset.item === {}",
                json!(current)
            ),
        )
        .await?;

    // The same person in a second browser profile sees the same, and marks all seen there.
    let second = open_as(&server, ann, "Ann (second profile)", board).await?;
    second
        .wait(
            "the same list",
            "document.querySelectorAll('#since-list li').length === 4",
        )
        .await?;
    let (listed, _) = rows(&second).await?;
    ensure!(listed == expected, "second profile listed {listed:?}");
    second.page.click("[data-since=seen]").await?;
    second
        .wait(
            "the list cleared",
            "document.querySelector('#since-panel').hidden && huddle.since().listed === 0
               && huddle.since().outlined.length === 0",
        )
        .await?;

    // Her next visit, in the first profile: nothing listed.
    first
        .page
        .goto(&server.http_url(&format!("/b/{board}")))
        .await?;
    first.wait("the board page to connect", READY).await?;
    let again = report(&first, board).await?;
    ensure!(
        again["first_visit"] == false && again["changes"] == json!([]),
        "next visit: {again}"
    );
    ensure!(
        first
            .page
            .eval("document.querySelector('#since-panel').hidden")
            .await?
            == true
    );
    first.assert_no_errors()?;
    second.assert_no_errors()?;
    Ok(())
}
