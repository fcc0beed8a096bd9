//! A person's inbox on the wire: a round with a deadline asks those who may vote (not the
//! viewer, not who opened it) and the request is marked read once they cast; a decision
//! reaches everyone with a role but its author; entries are marked read one by one or all at
//! once, and only the caller's own; someone removed from a board no longer sees its entries.

use std::time::Duration;

use anyhow::{Context, ensure};
use huddle_shared::rounds::{Command, Kind, Settings};
use huddle_tests::rounds::{Team, add_notes, dots, now_ms};
use huddle_tests::server::TestServer;
use huddle_tests::visitor::Visitor;
use serde_json::{Value, json};

async fn inbox(who: &Visitor) -> anyhow::Result<Value> {
    let res = who.call("GET", "/api/me/inbox", None).await?;
    ensure!(res.status == 200, "inbox: {} {}", res.status, res.body);
    res.json()
}

fn entries(inbox: &Value) -> Vec<Value> {
    inbox["entries"].as_array().cloned().unwrap_or_default()
}

/// Waits (a minute at most) until `who`'s inbox satisfies `pred` (entries are written by a
/// background task, a moment after the event).
async fn wait_inbox(
    who: &Visitor,
    what: &str,
    pred: impl Fn(&[Value]) -> bool,
) -> anyhow::Result<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let got = inbox(who).await?;
        if pred(&entries(&got)) {
            return Ok(got);
        }
        ensure!(
            tokio::time::Instant::now() < deadline,
            "waited in vain for {what}; the inbox is {got:#}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn kinds(entries: &[Value]) -> Vec<&str> {
    entries.iter().filter_map(|e| e["kind"].as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ballots_and_decisions_reach_the_inboxes_of_the_people_concerned() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let team = Team::start(&server, "Olga Owner").await?;
    let ed = team.member(&server, "editor", "Ed Editor").await?;
    let cleo = team.member(&server, "commenter", "Cleo Commenter").await?;
    let vic = team.member(&server, "viewer", "Vic Viewer").await?;
    let owner = team.tab(&server, &team.owner).await?;
    let eds = team.tab(&server, &ed).await?;
    let notes = add_notes(&owner, &["Pay with saved card", "Guest checkout"]).await?;

    // A round with a deadline in an hour: Ed and Cleo are asked, Vic and Olga are not.
    let deadline = now_ms() + 3_600_000;
    let settings = Settings {
        title: "Which first?".into(),
        deadline: Some(deadline),
        ..Settings::new(Kind::Dots)
    };
    let round = owner
        .open(settings, &[notes[0].as_str(), notes[1].as_str()])
        .await?;
    for who in [&ed, &cleo] {
        let got = wait_inbox(who, "the ballot request", |e| kinds(e) == ["ballot"]).await?;
        let e = &entries(&got)[0];
        ensure!(got["unread"] == 1 && e["read"] == false, "{got:#}");
        ensure!(
            e["board"] == team.board.as_str() && e["target"] == round.as_str(),
            "{e}"
        );
        ensure!(e["board_title"] == "Deciding together", "{e}");
        let text = e["text"].as_str().unwrap_or_default();
        ensure!(
            text.contains("Olga Owner opened")
                && text.contains("Which first?")
                && text.contains("UTC"),
            "{text}"
        );
    }

    // Ed votes: his request is done.
    eds.cast(&round, dots([(notes[0].as_str(), 1)])).await?;
    wait_inbox(&ed, "the request marked read", |e| {
        e.len() == 1 && e[0]["read"] == true
    })
    .await?;

    // Reveal and decide: everyone but Olga gets the decision.
    owner.reveal(&round).await?;
    owner
        .ack(Command::Decide {
            text: "Saved cards first".into(),
            round: Some(round.clone()),
            corrects: None,
        })
        .await?;
    for who in [&ed, &cleo, &vic] {
        let got = wait_inbox(who, "the decision", |e| {
            kinds(e).first() == Some(&"decision")
        })
        .await?;
        let e = &entries(&got)[0];
        let text = e["text"].as_str().unwrap_or_default();
        ensure!(
            text.contains("Olga Owner recorded a decision: Saved cards first"),
            "{text}"
        );
        ensure!(e["target"] == "000001", "{e}");
    }
    ensure!(
        kinds(&entries(&inbox(&vic).await?)) == ["decision"],
        "the viewer was asked to vote"
    );
    // Olga is the author of both: her inbox stays empty.
    let olga = inbox(&team.owner).await?;
    ensure!(entries(&olga).is_empty() && olga["unread"] == 0, "{olga:#}");

    // Cleo reads one entry, then all; Ed's are not touched by Cleo's calls.
    let cleos = entries(&inbox(&cleo).await?);
    ensure!(cleos.len() == 2, "{cleos:#?}");
    let decision_id = cleos[0]["id"].as_str().context("id")?.to_owned();
    let res = cleo
        .call(
            "POST",
            "/api/me/inbox/read",
            Some(json!({ "ids": [decision_id] })),
        )
        .await?;
    ensure!(
        res.status == 200 && res.json()?["unread"] == 1,
        "{} {}",
        res.status,
        res.body
    );
    // Someone else's entry id changes nothing for them.
    let eds_entries = entries(&inbox(&ed).await?);
    let eds_decision = eds_entries[0]["id"].as_str().context("id")?.to_owned();
    let res = cleo
        .call(
            "POST",
            "/api/me/inbox/read",
            Some(json!({ "ids": [eds_decision] })),
        )
        .await?;
    ensure!(res.status == 200, "{} {}", res.status, res.body);
    ensure!(
        inbox(&ed).await?["unread"] == 1,
        "Cleo marked Ed's entry read"
    );
    let res = cleo
        .call("POST", "/api/me/inbox/read", Some(json!({ "all": true })))
        .await?;
    ensure!(
        res.status == 200 && res.json()?["unread"] == 0,
        "{} {}",
        res.status,
        res.body
    );
    let res = cleo
        .call("POST", "/api/me/inbox/read", Some(json!({})))
        .await?;
    ensure!(
        res.status == 400,
        "an empty mark: {} {}",
        res.status,
        res.body
    );

    // Removed from the board, Vic no longer sees its entries.
    let res = team
        .owner
        .call(
            "DELETE",
            &format!("/api/boards/{}/people/{}", team.board, vic.id),
            None,
        )
        .await?;
    ensure!(
        res.status == 200,
        "removing Vic: {} {}",
        res.status,
        res.body
    );
    let vics = inbox(&vic).await?;
    ensure!(entries(&vics).is_empty() && vics["unread"] == 0, "{vics:#}");

    // Someone new has an empty inbox.
    let new = Visitor::arrive(&server).await?;
    ensure!(entries(&inbox(&new).await?).is_empty());
    Ok(())
}
