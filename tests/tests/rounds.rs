//! Rounds on the wire: the server checks every request against the sender's role and the
//! round's rules, whatever a client sends (these clients ignore the page's rules: they send
//! what a page would grey out). Each refusal carries a reason and changes nothing; a person is
//! one voter however many tabs they use; a ballot may change until the reveal.

use anyhow::{Context, ensure};
use huddle_shared::facilitation::Command as facilitation_cmd;
use huddle_shared::rounds::{Choice, Command, Event, Kind, RoundError, Scale, Settings, Status};
use huddle_tests::facilitation;
use huddle_tests::rounds::{Answer, Team, add_notes, dots, now_ms, refusal};
use huddle_tests::server::TestServer;

fn dot_vote(budget: u32, cap: Option<u32>) -> Settings {
    Settings {
        budget,
        cap,
        ..Settings::new(Kind::Dots)
    }
}

/// Every rule a ballot can break, each refused with its reason and nothing changed; a viewer
/// cannot vote; only the facilitator opens, reveals or cancels (an editor once handed the
/// role, not before; commenters and viewers never here); nothing can be cast in
/// a revealed or cancelled round, or in one that does not exist.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ballots_and_requests_that_break_the_rules_are_refused_with_a_reason() -> anyhow::Result<()>
{
    let (server, _data) = TestServer::start()?;
    let team = Team::start(&server, "Olga Owner").await?;
    let cleo = team.member(&server, "commenter", "Cleo Commenter").await?;
    let vic = team.member(&server, "viewer", "Vic Viewer").await?;
    let ed = team.member(&server, "editor", "Ed Editor").await?;
    let owner = team.tab(&server, &team.owner).await?;
    let notes = add_notes(&owner, &["a", "b", "c", "not in the round"]).await?;
    let [a, b, c, outside] = [&notes[0], &notes[1], &notes[2], &notes[3]].map(String::as_str);
    let round = owner.open(dot_vote(3, Some(2)), &[a, b, c]).await?;

    let cleo_tab = team.tab(&server, &cleo).await?;
    let vic_tab = team.tab(&server, &vic).await?;
    let ed_tab = team.tab(&server, &ed).await?;
    let view = cleo_tab.wait_view(&round, |_| true).await?;
    ensure!(
        view.can_vote && view.left == Some(3) && view.mine.is_empty(),
        "{view:?}"
    );
    let viewer_view = vic_tab.wait_view(&round, |_| true).await?;
    ensure!(
        !viewer_view.can_vote,
        "a viewer is told they may vote: {viewer_view:?}"
    );

    // Each broken rule, with the reason the rules give.
    let broken = [
        (
            dots([(a, 2), (b, 2)]),
            RoundError::OverBudget { used: 4, budget: 3 },
        ),
        (dots([(a, 3)]), RoundError::OverCap { cap: 2 }),
        (
            dots([(a, 1), (outside, 1)]),
            RoundError::NotATarget(outside.into()),
        ),
        (
            dots([("no-such-item", 1)]),
            RoundError::NotATarget("no-such-item".into()),
        ),
        (dots([(a, 0)]), RoundError::ZeroDots),
        (
            [(a.to_owned(), Choice::Fist(3))].into(),
            RoundError::WrongChoice("Dot vote", "a fist-to-five value"),
        ),
    ];
    for (ballot, error) in broken {
        let what = format!("{ballot:?}");
        let reason = refusal(cleo_tab.cast(&round, ballot).await?, &what)?;
        ensure!(
            reason == error.to_string(),
            "{what}: refused with {reason:?}, not {error}"
        );
    }
    // Rounds that break the rules are not opened, each with its reason.
    let fist_to_five = Settings::new(Kind::FistToFive);
    let bad_deck = Settings {
        scale: Scale::Custom(vec!["only one".into()]),
        ..Settings::new(Kind::Poker)
    };
    let bad_opens = [
        (dot_vote(3, None), vec![], RoundError::NoTargets),
        (dot_vote(0, None), vec![a], RoundError::BadBudget),
        (dot_vote(3, Some(0)), vec![a], RoundError::BadCap),
        (
            dot_vote(3, None),
            vec![a, a],
            RoundError::DuplicateTarget(a.into()),
        ),
        (
            dot_vote(3, None),
            vec!["no-such-item"],
            RoundError::WrongItem("no-such-item".into(), "Dot vote"),
        ),
        (
            fist_to_five,
            vec![a, b],
            RoundError::OneTarget("Fist to five"),
        ),
        (bad_deck, vec![a], RoundError::BadScale),
    ];
    for (settings, targets, error) in bad_opens {
        let open = Command::Open {
            settings,
            targets: targets.iter().map(|t| (*t).to_owned()).collect(),
            scope: Default::default(),
            area: None,
        };
        let what = format!("{open:?}");
        let reason = refusal(owner.ask(open).await?, &what)?;
        ensure!(
            reason == error.to_string(),
            "{what}: refused with {reason:?}, not {error}"
        );
    }
    // A viewer's ballot, however valid.
    let reason = refusal(
        vic_tab.cast(&round, dots([(a, 1)])).await?,
        "a viewer's ballot",
    )?;
    ensure!(
        reason.contains("viewer"),
        "a viewer's ballot refused with {reason:?}"
    );
    // Running rounds is for the facilitator (the owner, until handed on).
    for (who, tab) in [("commenter", &cleo_tab), ("viewer", &vic_tab)] {
        let open = Command::Open {
            settings: dot_vote(3, None),
            targets: vec![a.to_owned()],
            scope: Default::default(),
            area: None,
        };
        refusal(tab.ask(open).await?, &format!("{who} opens a round"))?;
        let r = round.clone();
        refusal(
            tab.ask(Command::Reveal { round: r }).await?,
            &format!("{who} reveals"),
        )?;
        let r = round.clone();
        refusal(
            tab.ask(Command::Cancel { round: r }).await?,
            &format!("{who} cancels"),
        )?;
    }
    // Nothing refused changed anything: no one has voted, Cleo's ballot is empty.
    owner.save().await?;
    ensure!(
        owner.progress(&round).is_some_and(|(voted, _)| voted == 0),
        "refused ballots were counted: {:?}",
        owner.progress(&round)
    );
    ensure!(
        cleo_tab.view(&round).is_some_and(|v| v.mine.is_empty()),
        "{:?}",
        cleo_tab.view(&round)
    );

    // An editor runs rounds once handed the facilitator role: opens one and cancels it;
    // nothing can be cast in it then. The owner claims the role back.
    let open_one = Command::Open {
        settings: dot_vote(1, None),
        targets: vec![a.to_owned()],
        scope: Default::default(),
        area: None,
    };
    refusal(
        ed_tab.ask(open_one).await?,
        "an editor who does not facilitate opens a round",
    )?;
    facilitation::hand(&owner, &ed).await?;
    let editors = ed_tab.open(dot_vote(1, None), &[a]).await?;
    ed_tab
        .ack(Command::Cancel {
            round: editors.clone(),
        })
        .await?;
    facilitation::ack(&owner, facilitation_cmd::Claim).await?;
    refusal(
        cleo_tab.cast(&editors, dots([(a, 1)])).await?,
        "a ballot in a cancelled round",
    )?;
    cleo_tab
        .wait_event(|e| matches!(e, Event::Closed { round, status: Status::Cancelled } if *round == editors))
        .await?;
    ensure!(
        !cleo_tab.results().contains_key(&editors),
        "a cancelled round left a result: {:?}",
        cleo_tab.results()
    );

    // A valid ballot goes through, then the reveal closes the ballots.
    let answer = cleo_tab.cast(&round, dots([(a, 2), (b, 1)])).await?;
    ensure!(answer == Answer::Ack(None), "a valid ballot: {answer:?}");
    let view = cleo_tab.wait_view(&round, |v| !v.mine.is_empty()).await?;
    ensure!(
        view.left == Some(0) && view.mine == dots([(a, 2), (b, 1)]),
        "{view:?}"
    );
    owner.reveal(&round).await?;
    let result = cleo_tab.wait_result(&round).await?;
    ensure!(
        (
            result.items[a].votes,
            result.items[b].votes,
            result.items[c].votes
        ) == (2, 1, 0),
        "{result:?}"
    );
    let late = cleo_tab.cast(&round, dots([(c, 1)])).await?;
    refusal(late, "a ballot after the reveal")?;
    let reveal_again = owner
        .ask(Command::Reveal {
            round: round.clone(),
        })
        .await?;
    refusal(reveal_again, "a second reveal")?;
    let unknown = cleo_tab.cast("no-such-round", dots([(a, 1)])).await?;
    refusal(unknown, "a ballot in a round that does not exist")?;
    ensure!(
        cleo_tab.results()[&round] == result,
        "the refused ballot changed the result"
    );
    Ok(())
}

/// A round with a deadline refuses ballots once it passed (it closed itself); a round cannot
/// be opened with a deadline in the past.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ballots_after_the_deadline_are_refused() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let team = Team::start(&server, "Olga Owner").await?;
    let cleo = team.member(&server, "commenter", "Cleo Commenter").await?;
    let owner = team.tab(&server, &team.owner).await?;
    let notes = add_notes(&owner, &["a", "b"]).await?;
    let (a, b) = (notes[0].as_str(), notes[1].as_str());

    let past = Settings {
        deadline: Some(now_ms() - 1_000),
        ..dot_vote(3, None)
    };
    let open_late = Command::Open {
        settings: past,
        targets: vec![a.to_owned()],
        scope: Default::default(),
        area: None,
    };
    let reason = refusal(owner.ask(open_late).await?, "a round whose deadline passed")?;
    ensure!(
        reason == RoundError::DeadlinePassed.to_string(),
        "{reason:?}"
    );

    let deadline = now_ms() + 3_000; // time for a join and a ballot on a busy machine
    let soon = Settings {
        deadline: Some(deadline),
        ..dot_vote(3, None)
    };
    let round = owner.open(soon, &[a, b]).await?;
    let cleo_tab = team.tab(&server, &cleo).await?;
    let on_time = cleo_tab.cast(&round, dots([(a, 1)])).await?;
    ensure!(
        on_time == Answer::Ack(None),
        "before the deadline: {on_time:?}"
    );
    // The round closes by itself; wait for the server to say so.
    let closed = cleo_tab
        .wait_event(|e| matches!(e, Event::Closed { round: r, .. } if *r == round))
        .await?;
    ensure!(
        closed
            == Event::Closed {
                round: round.clone(),
                status: Status::Revealed
            },
        "{closed:?}"
    );
    ensure!(now_ms() >= deadline, "closed before its deadline");
    let late = cleo_tab.cast(&round, dots([(a, 1), (b, 1)])).await?;
    refusal(late, "a ballot after the deadline")?;
    let result = cleo_tab.wait_result(&round).await?;
    ensure!(
        result.by_deadline && result.voters == 1 && result.items[a].votes == 1,
        "{result:?}"
    );
    ensure!(
        result.items[b].votes == 0,
        "the late ballot counted: {result:?}"
    );
    Ok(())
}

/// Two tabs of one person are one voter: the second tab's ballot replaces the first's, both
/// tabs are shown it, the count says one, the result counts it once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_is_one_voter_however_many_tabs() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let team = Team::start(&server, "Olga Owner").await?;
    let cleo = team.member(&server, "commenter", "Cleo Commenter").await?;
    let dan = team.member(&server, "commenter", "Dan Commenter").await?;
    let owner = team.tab(&server, &team.owner).await?;
    let notes = add_notes(&owner, &["a", "b"]).await?;
    let (a, b) = (notes[0].as_str(), notes[1].as_str());
    let round = owner.open(dot_vote(3, None), &[a, b]).await?;

    let first = team.tab(&server, &cleo).await?;
    let second = team.tab(&server, &cleo).await?;
    let dans = team.tab(&server, &dan).await?;
    // A viewer present is not someone who may vote.
    let vic = team.member(&server, "viewer", "Vic Viewer").await?;
    let _vics = team.tab(&server, &vic).await?;
    ensure!(first.cast(&round, dots([(a, 3)])).await? == Answer::Ack(None));
    ensure!(second.cast(&round, dots([(b, 2)])).await? == Answer::Ack(None));
    // The first tab is shown the ballot the second cast: it is the person's, not the tab's.
    first
        .wait_view(&round, |v| v.mine == dots([(b, 2)]))
        .await
        .context("the first tab was not shown the second tab's ballot")?;
    ensure!(dans.cast(&round, dots([(a, 1)])).await? == Answer::Ack(None));
    let (voted, of) = owner.wait_voted(&round, 2).await?;
    // Present and may vote: Olga, Cleo (two tabs), Dan; not Vic, a viewer.
    ensure!(
        of == 3,
        "{voted} of {of}: a person with two tabs counted twice?"
    );
    // The count the second tab saw last says the same (not one per tab).
    second.wait_voted(&round, 2).await?;

    owner.reveal(&round).await?;
    let result = owner.wait_result(&round).await?;
    ensure!(result.voters == 2, "{result:?}");
    ensure!(
        (result.items[a].votes, result.items[b].votes) == (1, 2),
        "Cleo's first tab's ballot still counts: {result:?}"
    );
    let cleos: Vec<_> = result
        .ballots
        .iter()
        .filter(|nb| nb.name == "Cleo Commenter")
        .collect();
    ensure!(
        cleos.len() == 1 && cleos[0].ballot == dots([(b, 2)]),
        "{:?}",
        result.ballots
    );
    Ok(())
}

/// A ballot changes until the reveal: replaced, withdrawn (the count goes down), cast again;
/// only the last one counts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ballot_may_change_until_the_reveal() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let team = Team::start(&server, "Olga Owner").await?;
    let cleo = team.member(&server, "commenter", "Cleo Commenter").await?;
    let owner = team.tab(&server, &team.owner).await?;
    let notes = add_notes(&owner, &["a", "b", "c"]).await?;
    let [a, b, c] = [&notes[0], &notes[1], &notes[2]].map(String::as_str);
    let round = owner.open(dot_vote(3, None), &[a, b, c]).await?;
    let tab = team.tab(&server, &cleo).await?;

    let steps = [
        (dots([(a, 3)]), 1),
        (dots([(b, 1), (c, 1)]), 1),
        (dots([]), 0),
        (dots([(c, 2)]), 1),
    ];
    for (ballot, voted) in steps {
        let answer = tab.cast(&round, ballot.clone()).await?;
        ensure!(answer == Answer::Ack(None), "{ballot:?}: {answer:?}");
        let view = tab
            .wait_view(&round, |v| v.mine == ballot)
            .await
            .with_context(|| format!("after casting {ballot:?}"))?;
        let used: u32 = ballot
            .values()
            .map(|c| match c {
                Choice::Dots(n) => *n,
                _ => 0,
            })
            .sum();
        ensure!(view.left == Some(3 - used), "{view:?}");
        owner.save().await?;
        let (now, _) = owner.progress(&round).context("no count")?;
        ensure!(now == voted, "after {ballot:?}: {now} voted, want {voted}");
    }
    owner.reveal(&round).await?;
    let result = owner.wait_result(&round).await?;
    ensure!(
        (
            result.items[a].votes,
            result.items[b].votes,
            result.items[c].votes
        ) == (0, 0, 2),
        "{result:?}"
    );
    Ok(())
}

/// A board holds at most `MAX_OPEN_ROUNDS` open rounds (each is stored): one more is refused
/// with the reason, and closing one makes room.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_rounds_per_board_are_capped() -> anyhow::Result<()> {
    use huddle_shared::rounds::MAX_OPEN_ROUNDS;
    let (server, _data) = TestServer::start()?;
    let team = Team::start(&server, "Olga Owner").await?;
    let owner = team.tab(&server, &team.owner).await?;
    let notes = add_notes(&owner, &["a"]).await?;
    let mut rounds = Vec::new();
    for _ in 0..MAX_OPEN_ROUNDS {
        rounds.push(owner.open(dot_vote(3, None), &[&notes[0]]).await?);
    }
    let open = Command::Open {
        settings: dot_vote(3, None),
        targets: notes.clone(),
        scope: Default::default(),
        area: None,
    };
    let reason = owner.refused(open.clone()).await?;
    ensure!(reason == RoundError::TooManyOpen.to_string(), "{reason}");
    owner
        .ack(Command::Cancel {
            round: rounds[0].clone(),
        })
        .await?;
    owner.ack(open).await?.context("a new round's id")?;
    Ok(())
}
