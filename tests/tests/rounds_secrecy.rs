//! Secrecy, over the wire: until the reveal no one receives another person's ballot, not the
//! facilitator, not a stock Yjs client, not a raw connection that records every byte, not
//! any HTTP answer; and an anonymous round's voters are never named, ever, anywhere.
//!
//! The ballots use values nothing else on the board carries (a custom deck's odd labels, dot
//! counts no two people share, names no one else has), so finding one in what a client
//! received means it was sent. Each recorder first shows it would find one: its own ballot is
//! in what it received (and, in a named round, everyone's after the reveal). The reveal's
//! moment in each recording is a note with a marker text the facilitator adds just before
//! revealing: everything received before it was received during the open round.

use anyhow::{Context, ensure};
use huddle_shared::rounds::{Command, Event, Kind, Scale, Settings};
use huddle_tests::js;
use huddle_tests::rounds::{
    Answer, Secret, Tab, Team, add_notes, ballot_secrets, board_answers, cards, dots, find_secrets,
    identity, js_frames, labelled, sources, split_at,
};
use huddle_tests::server::TestServer;
use serde_json::json;

/// The text of the note the facilitator adds right before the reveal.
const REVEAL_MARKER: &str = "MARK-BEFORE-REVEAL-4qz";

/// A custom deck whose labels occur nowhere else.
const DECK: [&str; 8] = ["Q7x", "K9z", "J3w", "P5v", "M2q", "R8t", "W4k", "Z6y"];

/// The facilitator's recording with the marker put where she asked for the reveal: she added
/// the marker note herself, so the server does not echo it to her.
fn cut(mut frames: Vec<Vec<u8>>, at: usize) -> Vec<Vec<u8>> {
    frames.insert(at.min(frames.len()), REVEAL_MARKER.as_bytes().to_vec());
    frames
}

fn ensure_none(hits: Vec<String>, when: &str) -> anyhow::Result<()> {
    ensure!(hits.is_empty(), "{when}:\n{}", hits.join("\n"));
    Ok(())
}

fn ensure_found(frames: &[Vec<u8>], secrets: &[Secret], what: &str) -> anyhow::Result<()> {
    let hits = find_secrets(labelled("recorder", frames), secrets);
    ensure!(
        !hits.is_empty(),
        "{what} is not in the recording: the search would miss a leak"
    );
    Ok(())
}

/// A named planning poker round on two stories: the facilitator, a commenter and an editor
/// (raw connections) and a stock Yjs client (which speaks rounds through raw frames) vote,
/// each with their own cards; each records every byte it receives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_one_receives_another_persons_ballot_before_the_reveal() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let team = Team::start(&server, "Fay Facilitator").await?;
    let cleo = team.member(&server, "commenter", "Cleo Quietvoice").await?;
    let dan = team.member(&server, "editor", "Dan Dissentington").await?;
    let fay_tab = team.tab(&server, &team.owner).await?;
    let notes = add_notes(&fay_tab, &["story one", "story two"]).await?;
    let (s1, s2) = (notes[0].as_str(), notes[1].as_str());
    let settings = Settings {
        title: "How big?".into(),
        scale: Scale::Custom(DECK.iter().map(|c| (*c).to_owned()).collect()),
        ..Settings::new(Kind::Poker)
    };
    let round = fay_tab.open(settings, &[s1, s2]).await?;
    let cleo_tab = team.tab(&server, &cleo).await?;
    let dan_tab = team.tab(&server, &dan).await?;

    let fay_ballot = cards([(s1, DECK[0]), (s2, DECK[1])]);
    let cleo_ballot = cards([(s1, DECK[2]), (s2, DECK[3])]);
    let dan_ballot = cards([(s1, DECK[4]), (s2, DECK[5])]);
    let js_ballot = cards([(s1, DECK[6]), (s2, DECK[7])]);

    // The stock client votes through raw frames and records until the result is in its doc.
    let script = json!([
        {"op": "wait_synced"},
        {"op": "send_round", "request": {"req": 1, "op": "hello"}},
        {"op": "wait_for_round_event", "match": {"ev": "ack", "req": 1}},
        {"op": "wait_for_round_event", "match": {"ev": "round"}},
        {"op": "send_round", "request": {"req": 2, "op": "cast", "round": round, "ballot": js_ballot}},
        {"op": "wait_for_round_event", "match": {"ev": "ack", "req": 2}},
        {"op": "wait_for_map_size", "map": "rounds", "size": 1, "timeout_ms": 40000},
        {"op": "dump_received"},
    ]);
    let (base, board, key) = (
        server.ws_base(),
        team.board.clone(),
        team.key("commenter")?.to_owned(),
    );
    let js_peer = tokio::spawn(async move { js::run(&base, &board, Some(&key), script).await });

    for (tab, ballot) in [
        (&fay_tab, &fay_ballot),
        (&cleo_tab, &cleo_ballot),
        (&dan_tab, &dan_ballot),
    ] {
        let answer = tab.cast(&round, ballot.clone()).await?;
        ensure!(answer == Answer::Ack(None), "{ballot:?}: {answer:?}");
    }
    fay_tab.wait_voted(&round, 4).await?;

    // Every HTTP answer during the open round, as each person: no ballot, not even one's own.
    let everyone: Vec<Secret> = [
        ("Fay", &fay_ballot),
        ("Cleo", &cleo_ballot),
        ("Dan", &dan_ballot),
        ("the JS peer", &js_ballot),
    ]
    .iter()
    .flat_map(|(who, b)| ballot_secrets(who, b))
    .collect();
    for who in [&team.owner, &cleo, &dan] {
        let answers = board_answers(who, &team.board).await?;
        ensure_none(
            find_secrets(sources(&answers), &everyone),
            "a ballot in an HTTP answer during the open round",
        )?;
    }

    add_notes(&fay_tab, &[REVEAL_MARKER]).await?;
    let fay_cut = fay_tab.frames().len();
    fay_tab.reveal(&round).await?;
    let dump = js_peer.await??;
    let js_dump = dump.last().context("the JS peer printed nothing")?;
    let js_recording = js_frames(js_dump)?;

    for tab in [&cleo_tab, &dan_tab] {
        tab.wait_result(&round).await?;
    }
    // Who recorded what, their ballot, and what identifies them (the facilitator's name is
    // the round's `opened_by`, and the JS peer's name is one the test does not know).
    let recorders = [
        (
            "Fay (facilitator)",
            cut(fay_tab.frames(), fay_cut),
            &fay_ballot,
            vec![],
        ),
        (
            "Cleo",
            cleo_tab.frames(),
            &cleo_ballot,
            identity("Cleo Quietvoice", &cleo),
        ),
        (
            "Dan",
            dan_tab.frames(),
            &dan_ballot,
            identity("Dan Dissentington", &dan),
        ),
        ("the stock JS client", js_recording, &js_ballot, vec![]),
    ];
    for (who, frames, own, _) in &recorders {
        // Everyone else's choices and identity.
        let secrets: Vec<Secret> = recorders
            .iter()
            .filter(|(other, ..)| other != who)
            .flat_map(|(other, _, ballot, id)| [ballot_secrets(other, ballot), id.clone()].concat())
            .collect();
        let (before, after) = split_at(frames, REVEAL_MARKER);
        ensure!(!after.is_empty(), "{who} never received the marker note");
        ensure_none(
            find_secrets(labelled(who, before), &secrets),
            &format!("{who} received another person's ballot before the reveal"),
        )?;
        ensure_found(
            before,
            &ballot_secrets(who, own),
            &format!("{who}'s own ballot"),
        )?;
        // A named round's result names everyone's cards: the search finds them after.
        ensure_found(after, &secrets, "the revealed ballots")?;
    }

    // The result is right, and named.
    let result = cleo_tab.wait_result(&round).await?;
    let spread = |item: &str| result.items[item].spread.clone();
    ensure!(
        result.voters == 4
            && spread(s1)
                == DECK[..8]
                    .iter()
                    .step_by(2)
                    .map(|c| ((*c).to_owned(), 1))
                    .collect()
            && spread(s2)
                == DECK[1..]
                    .iter()
                    .step_by(2)
                    .map(|c| ((*c).to_owned(), 1))
                    .collect(),
        "{result:?}"
    );
    let named = |name: &str| result.ballots.iter().find(|b| b.name == name);
    ensure!(
        named("Cleo Quietvoice").is_some_and(|b| b.ballot == cleo_ballot)
            && named("Dan Dissentington").is_some_and(|b| b.ballot == dan_ballot),
        "{:?}",
        result.ballots
    );
    Ok(())
}

/// An anonymous dot vote: three people vote with distinctive dot counts while the facilitator,
/// the voters and a stock Yjs client (which never says hello) record everything. Before the
/// reveal no one gets another's dots; after it, the result, every byte anyone received, every
/// HTTP answer and the decision recorded from it carry no voter's name or person id, and no
/// one's individual dots.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anonymous_round_never_names_its_voters() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let team = Team::start(&server, "Fay Facilitator").await?;
    let cleo = team.member(&server, "commenter", "Cleo Quietvoice").await?;
    let dan = team.member(&server, "editor", "Dan Dissentington").await?;
    let eve = team.member(&server, "commenter", "Eve Evergreen").await?;
    let fay_tab = team.tab(&server, &team.owner).await?;
    let notes = add_notes(&fay_tab, &["n1", "n2", "n3"]).await?;
    let [n1, n2, n3] = [&notes[0], &notes[1], &notes[2]].map(String::as_str);
    let settings = Settings {
        anonymous: true,
        budget: 100,
        ..Settings::new(Kind::Dots)
    };
    let round = fay_tab.open(settings, &[n1, n2, n3]).await?;

    // A stock client: it never says hello, so it must not get a single round event.
    let script = json!([
        {"op": "wait_synced"},
        {"op": "wait_for_map_size", "map": "rounds", "size": 1, "timeout_ms": 40000},
        {"op": "wait_for_map_size", "map": "decisions", "size": 1, "timeout_ms": 40000},
        {"op": "dump_received"},
    ]);
    let (base, board, key) = (
        server.ws_base(),
        team.board.clone(),
        team.key("viewer")?.to_owned(),
    );
    let js_peer = tokio::spawn(async move { js::run(&base, &board, Some(&key), script).await });

    let voters = [
        ("Cleo Quietvoice", &cleo, dots([(n1, 37), (n2, 11)])),
        ("Dan Dissentington", &dan, dots([(n1, 23), (n3, 41)])),
        ("Eve Evergreen", &eve, dots([(n2, 29), (n3, 17)])),
    ];
    let mut tabs: Vec<Tab> = Vec::new();
    for (name, who, ballot) in &voters {
        let tab = team.tab(&server, who).await?;
        let answer = tab.cast(&round, ballot.clone()).await?;
        ensure!(answer == Answer::Ack(None), "{name}: {answer:?}");
        tabs.push(tab);
    }
    fay_tab.wait_voted(&round, 3).await?;
    let all_dots: Vec<Secret> = voters
        .iter()
        .flat_map(|(name, _, b)| ballot_secrets(name, b))
        .collect();
    for who in [&team.owner, &cleo, &dan] {
        let answers = board_answers(who, &team.board).await?;
        ensure_none(
            find_secrets(sources(&answers), &all_dots),
            "a ballot in an HTTP answer during the open round",
        )?;
    }

    add_notes(&fay_tab, &[REVEAL_MARKER]).await?;
    let fay_cut = fay_tab.frames().len();
    fay_tab.reveal(&round).await?;
    let result = fay_tab.wait_result(&round).await?;
    ensure!(
        result.voters == 3
            && result.participants.is_empty()
            && result.ballots.is_empty()
            && [n1, n2, n3].map(|n| result.items[n].votes) == [60, 40, 58],
        "{result:?}"
    );
    let decided = fay_tab
        .ack(Command::Decide {
            text: "Start with n1".into(),
            round: Some(round.clone()),
            corrects: None,
        })
        .await?;
    ensure!(decided.is_some(), "a decision without an id");

    let names: Vec<Secret> = voters
        .iter()
        .flat_map(|(name, who, _)| identity(name, who))
        .collect();
    let js_dump = js_peer.await??;
    let js_recording = js_frames(js_dump.last().context("the JS peer printed nothing")?)?;
    ensure!(
        js_dump.last().is_some_and(|d| d["events"] == json!([])),
        "a stock client got round events: {}",
        js_dump
            .last()
            .map(|d| d["events"].to_string())
            .unwrap_or_default()
    );
    for tab in &tabs {
        tab.wait_result(&round).await?;
    }
    let mut recorders = vec![(
        "Fay (facilitator)".to_owned(),
        cut(fay_tab.frames(), fay_cut),
        None,
    )];
    recorders.push(("the stock JS client".to_owned(), js_recording, None));
    for ((name, _, ballot), tab) in voters.iter().zip(&tabs) {
        recorders.push((name.to_string(), tab.frames(), Some(ballot)));
    }
    for (who, frames, own) in &recorders {
        let (before, after) = split_at(frames, REVEAL_MARKER);
        ensure!(!after.is_empty(), "{who} never received the marker note");
        let others: Vec<Secret> = voters
            .iter()
            .filter(|(name, ..)| name != who)
            .flat_map(|(name, _, b)| ballot_secrets(name, b))
            .collect();
        ensure_none(
            find_secrets(labelled(who, before), &others),
            &format!("{who} received another person's dots before the reveal"),
        )?;
        if let Some(own) = own {
            ensure_found(
                before,
                &ballot_secrets(who, own),
                &format!("{who}'s own ballot"),
            )?;
        }
        // Not before, not after: no other voter's name or id, no one's dots once revealed.
        let other_names: Vec<Secret> = voters
            .iter()
            .filter(|(name, ..)| name != who)
            .flat_map(|(name, person, _)| identity(name, person))
            .collect();
        ensure_none(
            find_secrets(labelled(who, frames), &other_names),
            &format!("{who} received an anonymous voter's name or id"),
        )?;
        ensure_none(
            find_secrets(labelled(who, after), &all_dots),
            &format!("{who} received someone's own dots after an anonymous reveal"),
        )?;
    }
    // HTTP after the reveal and the decision; /access lists the board's people by right, so
    // it is left out of the names check.
    for who in [&team.owner, &cleo, &dan] {
        let answers: Vec<_> = board_answers(who, &team.board)
            .await?
            .into_iter()
            .filter(|(path, _)| !path.contains("/access"))
            .collect();
        ensure_none(
            find_secrets(
                sources(&answers),
                &[names.clone(), all_dots.clone()].concat(),
            ),
            "an HTTP answer after an anonymous reveal",
        )?;
    }
    let log = team
        .owner
        .call(
            "GET",
            &format!("/api/boards/{}/decisions", team.board),
            None,
        )
        .await?
        .json()?;
    ensure!(
        log[0]["voters"] == 3 && log[0]["participants"] == json!([]),
        "{log}"
    );
    // The round's events to the voters named no one either (checked in the bytes above); and
    // the facilitator never got a view with anyone's ballot in it.
    ensure!(
        fay_tab.events().iter().all(|e| match e {
            Event::Round(v) => v.mine.is_empty(),
            _ => true,
        }),
        "the facilitator, who did not vote, was shown a ballot"
    );
    Ok(())
}
