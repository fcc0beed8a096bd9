//! After the reveal, on the wire: fist-to-five dissent (asked once, only of those at 0 to 2,
//! anonymous in an anonymous round), poker's accepted estimate, the append-only decision log,
//! re-runs; and what no client may do whatever it sends: write results or decisions into the
//! document itself, or reach another board's round.

use anyhow::{Context, ensure};
use huddle_shared::rounds::{Choice, Command, Decision, Event, Kind, Settings, Status};
use huddle_tests::rounds::{Answer, Team, add_notes, ballot, cards, dots, refusal};
use huddle_tests::server::TestServer;
use yrs::Transact;

fn fist(item: &str, fingers: u8) -> huddle_shared::rounds::Ballot {
    ballot([(item, Choice::Fist(fingers))])
}

fn dissent(round: &str, text: &str) -> Command {
    Command::Dissent {
        round: round.to_owned(),
        text: text.to_owned(),
    }
}

/// An anonymous fist to five: those at 0 to 2 are asked once for what would change their
/// mind; someone at 4, a viewer and a second answer are refused; the dissent is kept in the
/// result without names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dissent_is_asked_once_of_those_at_two_or_below() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let team = Team::start(&server, "Olga Owner").await?;
    let cleo = team.member(&server, "commenter", "Cleo Commenter").await?;
    let dan = team.member(&server, "commenter", "Dan Commenter").await?;
    let vic = team.member(&server, "viewer", "Vic Viewer").await?;
    let owner = team.tab(&server, &team.owner).await?;
    let proposal = add_notes(&owner, &["Ship on Friday"]).await?.remove(0);
    let p = proposal.as_str();
    let settings = Settings {
        anonymous: true,
        ..Settings::new(Kind::FistToFive)
    };
    let round = owner.open(settings, &[p]).await?;
    let (cleos, dans, vics) = (
        team.tab(&server, &cleo).await?,
        team.tab(&server, &dan).await?,
        team.tab(&server, &vic).await?,
    );
    // Dissent is for after the reveal.
    refusal(
        cleos.ask(dissent(&round, "too early")).await?,
        "dissent before the reveal",
    )?;
    ensure!(cleos.cast(&round, fist(p, 1)).await? == Answer::Ack(None));
    ensure!(dans.cast(&round, fist(p, 4)).await? == Answer::Ack(None));
    ensure!(owner.cast(&round, fist(p, 2)).await? == Answer::Ack(None));
    refusal(
        cleos.cast(&round, fist(p, 6)).await?,
        "six fingers on one hand",
    )?;
    owner.reveal(&round).await?;

    cleos
        .wait_view(&round, |v| v.can_dissent)
        .await
        .context("Cleo, at 1, was not asked for her dissent")?;
    ensure!(
        dans.view(&round).is_none_or(|v| !v.can_dissent),
        "Dan, at 4, is asked for dissent: {:?}",
        dans.view(&round)
    );
    refusal(
        dans.ask(dissent(&round, "I am fine")).await?,
        "dissent from someone at 4",
    )?;
    refusal(
        vics.ask(dissent(&round, "I watch")).await?,
        "dissent from a viewer",
    )?;
    refusal(cleos.ask(dissent(&round, "   ")).await?, "an empty dissent")?;
    cleos
        .ack(dissent(&round, "A load test first would change my mind"))
        .await?;
    refusal(
        cleos.ask(dissent(&round, "And another thing")).await?,
        "a second dissent",
    )?;
    owner
        .ack(dissent(&round, "Friday deploys scare me"))
        .await?;
    cleos
        .wait_view(&round, |v| !v.can_dissent)
        .await
        .context("Cleo is still asked after she answered")?;

    let result = dans
        .wait_result_where(&round, |r| r.dissent.len() == 2)
        .await?;
    let spread: Vec<u32> = (0..=5)
        .map(|v| result.items[p].spread[&v.to_string()])
        .collect();
    ensure!(spread == [0, 1, 1, 0, 1, 0], "{result:?}");
    let mut texts: Vec<&str> = result.dissent.iter().map(|d| d.text.as_str()).collect();
    texts.sort();
    ensure!(
        texts
            == [
                "A load test first would change my mind",
                "Friday deploys scare me"
            ],
        "{:?}",
        result.dissent
    );
    ensure!(
        result.dissent.iter().all(|d| d.name.is_none())
            && result.participants.is_empty()
            && result.ballots.is_empty(),
        "an anonymous round's dissent or result names someone: {result:?}"
    );
    Ok(())
}

/// Poker: the facilitator accepts a card with points as a story's estimate; a commenter may
/// not, "?" and cards outside the deck are not estimates, and a story outside the round has
/// none to accept. Re-running opens a new round on the same stories, with no ballots.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_estimate_is_accepted_from_a_revealed_poker_round_and_it_can_run_again()
-> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let team = Team::start(&server, "Olga Owner").await?;
    let cleo = team.member(&server, "commenter", "Cleo Commenter").await?;
    let owner = team.tab(&server, &team.owner).await?;
    let notes = add_notes(&owner, &["story", "not estimated"]).await?;
    let (story, other) = (notes[0].as_str(), notes[1].as_str());
    let round = owner.open(Settings::new(Kind::Poker), &[story]).await?;
    let cleos = team.tab(&server, &cleo).await?;
    let accept = |item: &str, card: &str| Command::Accept {
        round: round.clone(),
        item: item.to_owned(),
        card: card.to_owned(),
    };
    refusal(
        owner.ask(accept(story, "5")).await?,
        "accept before the reveal",
    )?;
    ensure!(cleos.cast(&round, cards([(story, "3")])).await? == Answer::Ack(None));
    ensure!(owner.cast(&round, cards([(story, "8")])).await? == Answer::Ack(None));
    owner.reveal(&round).await?;
    let result = cleos.wait_result(&round).await?;
    ensure!(
        result.items[story].low.as_deref() == Some("3")
            && result.items[story].high.as_deref() == Some("8"),
        "the outliers: {result:?}"
    );
    refusal(cleos.ask(accept(story, "5")).await?, "a commenter accepts")?;
    refusal(owner.ask(accept(story, "?")).await?, "\"?\" as an estimate")?;
    refusal(
        owner.ask(accept(story, "4")).await?,
        "a card not in the deck",
    )?;
    refusal(
        owner.ask(accept(other, "5")).await?,
        "a story outside the round",
    )?;
    owner.ack(accept(story, "5")).await?;
    let accepted = cleos
        .wait_result_where(&round, |r| !r.accepted.is_empty())
        .await?
        .accepted;
    ensure!(
        accepted.get(story).map(String::as_str) == Some("5") && accepted.len() == 1,
        "{accepted:?}"
    );

    let rerun = owner
        .ack(Command::Rerun {
            round: round.clone(),
        })
        .await?
        .context("a re-run acknowledged no id")?;
    ensure!(rerun != round, "the re-run reused the round's id");
    let view = cleos.wait_view(&rerun, |_| true).await?;
    ensure!(
        view.round.rerun_of.as_deref() == Some(round.as_str())
            && view.round.status == Status::Open
            && view.round.targets == [story]
            && view.mine.is_empty()
            && view.voted == 0,
        "{view:?}"
    );
    refusal(
        cleos.ask(Command::Rerun { round: rerun }).await?,
        "a commenter re-runs",
    )?;
    Ok(())
}

/// The decision log: only the owner and editors write it; entries are appended, a correction
/// names an entry that exists; the log is in the document and in the API, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decisions_are_appended_and_corrected_by_new_entries() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let team = Team::start(&server, "Olga Owner").await?;
    let cleo = team.member(&server, "commenter", "Cleo Commenter").await?;
    let owner = team.tab(&server, &team.owner).await?;
    let cleos = team.tab(&server, &cleo).await?;
    let decide = |text: &str, corrects: Option<&str>| Command::Decide {
        text: text.to_owned(),
        round: None,
        corrects: corrects.map(str::to_owned),
    };
    refusal(
        cleos.ask(decide("We ship", None)).await?,
        "a commenter decides",
    )?;
    refusal(owner.ask(decide("", None)).await?, "an empty decision")?;
    refusal(
        owner.ask(decide("Fix", Some("999999"))).await?,
        "a correction of nothing",
    )?;
    refusal(
        owner
            .ask(Command::Decide {
                text: "From a round".into(),
                round: Some("no-such-round".into()),
                corrects: None,
            })
            .await?,
        "a decision from a round that does not exist",
    )?;
    let first = owner
        .ack(decide("We ship on Tuesday", None))
        .await?
        .context("no id")?;
    let second = owner
        .ack(decide("We ship on Wednesday", Some(&first)))
        .await?
        .context("no id")?;
    cleos.save().await?;
    let log: Vec<Decision> = cleos.board.decisions(&cleos.board.doc().transact());
    let summary: Vec<(&str, &str, Option<&str>)> = log
        .iter()
        .map(|d| (d.id.as_str(), d.text.as_str(), d.corrects.as_deref()))
        .collect();
    ensure!(
        summary
            == [
                (first.as_str(), "We ship on Tuesday", None),
                (
                    second.as_str(),
                    "We ship on Wednesday",
                    Some(first.as_str())
                ),
            ]
            && log.iter().all(|d| d.by == "Olga Owner"),
        "{log:?}"
    );
    let api = cleo
        .call(
            "GET",
            &format!("/api/boards/{}/decisions", team.board),
            None,
        )
        .await?;
    let from_api: Vec<Decision> =
        serde_json::from_str(&api.body).with_context(|| format!("{} {}", api.status, api.body))?;
    ensure!(
        from_api == log,
        "the API says {from_api:?}, the document {log:?}"
    );
    Ok(())
}

/// A client that writes a result or a decision into the document itself (an editor's raw
/// connection) is told, and the server puts the maps back, for it and for everyone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_and_decisions_written_by_a_client_are_put_back() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let team = Team::start(&server, "Olga Owner").await?;
    let ed = team.member(&server, "editor", "Ed Editor").await?;
    let owner = team.tab(&server, &team.owner).await?;
    let a = add_notes(&owner, &["a"]).await?.remove(0);
    let round = owner.open(Settings::new(Kind::Dots), &[&a]).await?;
    ensure!(owner.cast(&round, dots([(a.as_str(), 2)])).await? == Answer::Ack(None));
    owner.reveal(&round).await?;
    let real = owner.wait_result(&round).await?;

    let forger = team.tab(&server, &ed).await?;
    forger.wait_result(&round).await?;
    let mut forged = real.clone();
    forged.items.get_mut(&a).context("item")?.votes = 99;
    let mut invented = real.clone();
    invented.round.id = "invented-round".into();
    let decision = Decision {
        id: "000001".into(),
        at: 1,
        by: "Olga Owner".into(),
        text: "Forged".into(),
        round: None,
        kind: None,
        result: String::new(),
        participants: Vec::new(),
        voters: 0,
        dissent: Vec::new(),
        corrects: None,
    };
    forger.edit(|board, txn| {
        board.write_round_result(txn, &forged);
        board.write_round_result(txn, &invented);
        board.write_decision(txn, &decision);
    });
    forger.save().await?;
    ensure!(
        !forger.denials().is_empty(),
        "the forger was not told its write was refused"
    );
    owner.save().await?;
    let put_back = |when: &str| -> anyhow::Result<()> {
        for (who, tab) in [("the forger", &forger), ("the owner", &owner)] {
            let results = tab.results();
            let decisions = tab.board.decisions(&tab.board.doc().transact());
            ensure!(
                results.len() == 1 && results[&round] == real && decisions.is_empty(),
                "after {when}, {who} has {results:?} and {decisions:?}"
            );
        }
        Ok(())
    };
    put_back("a forged result and decision")?;
    // Deleting the real result is put back too.
    forger.edit(|board, txn| board.reset_results(txn, &[], &[]));
    forger.save().await?;
    owner.save().await?;
    ensure!(
        forger.denials().len() >= 2,
        "the forger was not told its deletion was refused: {:?}",
        forger.denials()
    );
    put_back("a deleted result")
}

/// Round ids belong to their board: a person on two boards cannot cast into, reveal or
/// cancel one board's round through the other board's connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_round_is_reached_only_through_its_own_board() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let team = Team::start(&server, "Olga Owner").await?;
    let owner = team.tab(&server, &team.owner).await?;
    let a = add_notes(&owner, &["a"]).await?.remove(0);
    let round = owner.open(Settings::new(Kind::Dots), &[&a]).await?;
    let other_board = team.owner.create_board("Another board").await?;
    let elsewhere = huddle_tests::rounds::Tab::join(
        &server.ws_url_bare(&other_board),
        &[("Cookie", &team.owner.cookie)],
    )
    .await?;
    elsewhere.hello().await?;
    refusal(
        elsewhere.cast(&round, dots([(a.as_str(), 1)])).await?,
        "a ballot through another board",
    )?;
    for cmd in [
        Command::Reveal {
            round: round.clone(),
        },
        Command::Cancel {
            round: round.clone(),
        },
    ] {
        let what = format!("{cmd:?} through another board");
        refusal(elsewhere.ask(cmd).await?, &what)?;
    }
    ensure!(
        elsewhere
            .events()
            .iter()
            .all(|e| !matches!(e, Event::Round(_))),
        "another board's connection was shown the round: {:?}",
        elsewhere.events()
    );
    owner.save().await?;
    ensure!(
        owner.progress(&round) == Some((0, 1)),
        "{:?}",
        owner.progress(&round)
    );
    Ok(())
}
