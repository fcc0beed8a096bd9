//! Rounds outlive the server: every acknowledged ballot survives a restart, graceful or
//! `kill -9`, in the middle of a round; a round with a deadline closes itself at the deadline
//! with nobody connected, and also when the server was down at that moment (as it comes back).

use anyhow::{Context, ensure};
use huddle_shared::rounds::{Kind, RoundResult, Settings, Status};
use huddle_tests::client::WAIT;
use huddle_tests::rounds::{Answer, Tab, Team, add_notes, cards, dots, now_ms};
use huddle_tests::server::TestServer;
use huddle_tests::visitor::Visitor;

/// How the server goes down in the middle of a round.
#[derive(Debug, Clone, Copy)]
enum Down {
    Graceful,
    Kill9,
}

fn take_down(server: &mut TestServer, how: Down) -> anyhow::Result<()> {
    match how {
        Down::Graceful => {
            let code = server.stop()?;
            ensure!(code == 0, "huddle exited with {code} on SIGTERM");
        }
        Down::Kill9 => server.kill9(),
    }
    server.restart()
}

/// Polls `GET /api/boards/{id}/rounds` (as `who`) until the board has no open round: a round
/// closing needs no one connected.
async fn wait_no_open_round(who: &Visitor, board: &str) -> anyhow::Result<()> {
    let until = tokio::time::Instant::now() + WAIT;
    loop {
        let res = who
            .call("GET", &format!("/api/boards/{board}/rounds"), None)
            .await?;
        ensure!(res.status == 200, "rounds: {} {}", res.status, res.body);
        if res.json()?.as_array().is_some_and(|open| open.is_empty()) {
            return Ok(());
        }
        ensure!(
            tokio::time::Instant::now() < until,
            "the round is still open: {}",
            res.body
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Three people vote in a poker round (one of them changes their ballot several times, each
/// acknowledged); the server goes down right after the last acknowledgement; when it is back
/// each person is shown their own last ballot, the count is 3, and the reveal counts them all.
async fn acknowledged_ballots_survive(how: Down) -> anyhow::Result<()> {
    let (mut server, _data) = TestServer::start()?;
    let mut team = Team::start(&server, "Olga Owner").await?;
    let mut cleo = team.member(&server, "commenter", "Cleo Commenter").await?;
    let mut dan = team.member(&server, "editor", "Dan Editor").await?;
    let owner = team.tab(&server, &team.owner).await?;
    let notes = add_notes(&owner, &["story one", "story two"]).await?;
    let (s1, s2) = (notes[0].as_str(), notes[1].as_str());
    let round = owner.open(Settings::new(Kind::Poker), &[s1, s2]).await?;
    let cleos = team.tab(&server, &cleo).await?;
    let dans = team.tab(&server, &dan).await?;

    let ballots = [
        (0, cards([(s1, "3"), (s2, "5")])),
        (1, cards([(s1, "8")])),
        (2, cards([(s1, "1"), (s2, "2")])),
        (2, cards([(s1, "13"), (s2, "?")])),
        (2, cards([(s2, "21")])),
    ];
    let tabs = [owner, cleos, dans];
    for (tab, ballot) in &ballots {
        let answer = tabs[*tab].cast(&round, ballot.clone()).await?;
        ensure!(answer == Answer::Ack(None), "{ballot:?}: {answer:?}");
    }
    drop(tabs);
    take_down(&mut server, how)?;
    for person in [&mut team.owner, &mut cleo, &mut dan] {
        person.come_back(&server);
    }

    let owner = team.tab(&server, &team.owner).await?;
    let expect = [
        (&team.owner, &ballots[0].1),
        (&cleo, &ballots[1].1),
        (&dan, &ballots[4].1),
    ];
    for (person, ballot) in expect {
        let tab: Tab = team.tab(&server, person).await?;
        tab.wait_view(&round, |v| v.mine == *ballot)
            .await
            .with_context(|| format!("{how:?}: {} lost their ballot", person.id))?;
    }
    let (voted, _) = owner.wait_voted(&round, 3).await?;
    ensure!(voted == 3);
    owner.reveal(&round).await?;
    let result = owner.wait_result(&round).await?;
    let by_name = |name: &str| {
        result
            .ballots
            .iter()
            .find(|b| b.name == name)
            .map(|b| b.ballot.clone())
    };
    ensure!(
        result.voters == 3
            && by_name("Olga Owner").as_ref() == Some(&ballots[0].1)
            && by_name("Cleo Commenter").as_ref() == Some(&ballots[1].1)
            && by_name("Dan Editor").as_ref() == Some(&ballots[4].1),
        "{how:?}: {result:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_ballots_survive_a_graceful_restart() -> anyhow::Result<()> {
    acknowledged_ballots_survive(Down::Graceful).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_ballots_survive_kill_9() -> anyhow::Result<()> {
    acknowledged_ballots_survive(Down::Kill9).await
}

/// Checks a dot round's result closed by its deadline: `votes` per item, in order.
fn check_closed_by_deadline(
    result: &RoundResult,
    items: &[&str],
    votes: &[u32],
    voters: u32,
) -> anyhow::Result<()> {
    let got: Vec<u32> = items
        .iter()
        .map(|i| result.items.get(*i).map_or(u32::MAX, |r| r.votes))
        .collect();
    ensure!(
        result.by_deadline
            && result.round.status == Status::Revealed
            && result.voters == voters
            && got == votes,
        "want {votes:?} from {voters} voters, closed by its deadline: {result:?}"
    );
    Ok(())
}

/// The deadline passes while the server is down (killed): when it is back, the round closes
/// without anyone opening the board, and the result is in the document.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadline_passed_while_the_server_was_down_closes_the_round_when_it_is_back()
-> anyhow::Result<()> {
    let (mut server, _data) = TestServer::start()?;
    let mut team = Team::start(&server, "Olga Owner").await?;
    let mut cleo = team.member(&server, "commenter", "Cleo Commenter").await?;
    let owner = team.tab(&server, &team.owner).await?;
    let notes = add_notes(&owner, &["a", "b"]).await?;
    let (a, b) = (notes[0].as_str(), notes[1].as_str());
    let deadline = now_ms() + 3_000; // time for a join and a ballot on a busy machine
    let settings = Settings {
        deadline: Some(deadline),
        ..Settings::new(Kind::Dots)
    };
    let round = owner.open(settings, &[a, b]).await?;
    let cleos = team.tab(&server, &cleo).await?;
    ensure!(cleos.cast(&round, dots([(a, 2), (b, 1)])).await? == Answer::Ack(None));
    drop((owner, cleos));
    server.kill9();
    // Down until the deadline has passed.
    let left = deadline.saturating_sub(now_ms()) + 300;
    tokio::time::sleep(std::time::Duration::from_millis(left)).await;
    server.restart()?;
    team.owner.come_back(&server);
    cleo.come_back(&server);

    wait_no_open_round(&team.owner, &team.board).await?;
    let tab = team.quiet_tab(&server, &cleo).await?;
    let result = tab.wait_result(&round).await?;
    check_closed_by_deadline(&result, &[a, b], &[2, 1], 1)
}

/// Asynchronous voting: one person votes, the server restarts, another person votes later,
/// everyone leaves; the round closes by itself at its deadline, and a person who opens the
/// board afterwards finds the result in the document.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_round_with_a_deadline_closes_itself_across_a_restart() -> anyhow::Result<()> {
    let (mut server, _data) = TestServer::start()?;
    let mut team = Team::start(&server, "Olga Owner").await?;
    let mut cleo = team.member(&server, "commenter", "Cleo in Sydney").await?;
    let mut dan = team.member(&server, "commenter", "Dan in Lima").await?;
    let owner = team.tab(&server, &team.owner).await?;
    let notes = add_notes(&owner, &["a", "b", "c"]).await?;
    let [a, b, c] = [&notes[0], &notes[1], &notes[2]].map(String::as_str);
    // A few seconds: enough for a vote, a restart and a vote on a busy machine.
    let deadline = now_ms() + 6_000;
    let settings = Settings {
        deadline: Some(deadline),
        ..Settings::new(Kind::Dots)
    };
    let round = owner.open(settings, &[a, b, c]).await?;
    owner.close().await;

    let cleos = team.tab(&server, &cleo).await?;
    ensure!(cleos.cast(&round, dots([(a, 2), (c, 1)])).await? == Answer::Ack(None));
    cleos.close().await;

    let code = server.stop()?;
    ensure!(code == 0, "huddle exited with {code}");
    server.restart()?;
    for person in [&mut team.owner, &mut cleo, &mut dan] {
        person.come_back(&server);
    }

    let dans = team.tab(&server, &dan).await?;
    let answer = dans.cast(&round, dots([(b, 1), (c, 2)])).await?;
    ensure!(
        answer == Answer::Ack(None),
        "Dan's ballot before the deadline ({} ms left): {answer:?}",
        deadline as i64 - now_ms() as i64
    );
    dans.close().await;

    // Nobody is connected; the round closes at its deadline all the same.
    wait_no_open_round(&team.owner, &team.board).await?;
    ensure!(now_ms() >= deadline, "the round closed before its deadline");
    let vera = team.member(&server, "viewer", "Vera Later").await?;
    let tab = team.quiet_tab(&server, &vera).await?;
    let result = tab.wait_result(&round).await?;
    check_closed_by_deadline(&result, &[a, b, c], &[2, 1, 3], 2)?;
    // As a page would read it offline: the replica's results hold it.
    let results = tab.results();
    ensure!(
        results.len() == 1 && results[&round] == result,
        "{results:?}"
    );
    Ok(())
}

/// An acknowledged reveal survives `kill -9` right after it: the result is in the document
/// when the server is back, and the round is no longer open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledged_reveal_survives_kill_9() -> anyhow::Result<()> {
    let (mut server, _data) = TestServer::start()?;
    let mut team = Team::start(&server, "Olga Owner").await?;
    let owner = team.tab(&server, &team.owner).await?;
    let a = add_notes(&owner, &["a"]).await?.remove(0);
    let round = owner.open(Settings::new(Kind::Dots), &[&a]).await?;
    ensure!(owner.cast(&round, dots([(a.as_str(), 3)])).await? == Answer::Ack(None));
    owner.reveal(&round).await?;
    server.kill9();
    drop(owner);
    server.restart()?;
    team.owner.come_back(&server);

    wait_no_open_round(&team.owner, &team.board).await?;
    let tab = team.tab(&server, &team.owner).await?;
    let result = tab.wait_result(&round).await?;
    ensure!(
        result.round.status == Status::Revealed && result.items[&a].votes == 3,
        "{result:?}"
    );
    let again = tab.cast(&round, dots([(a.as_str(), 1)])).await?;
    ensure!(
        matches!(again, Answer::Refused(_)),
        "a ballot in a revealed round after a restart: {again:?}"
    );
    Ok(())
}

/// In an anonymous round a person's ballot is filed under a salted hash of their id: after a
/// restart their new ballot still replaces the old one (one voter), and their tab is shown it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anonymous_ballot_is_still_replaced_after_a_restart() -> anyhow::Result<()> {
    let (mut server, _data) = TestServer::start()?;
    let mut team = Team::start(&server, "Olga Owner").await?;
    let mut cleo = team.member(&server, "commenter", "Cleo Commenter").await?;
    let owner = team.tab(&server, &team.owner).await?;
    let notes = add_notes(&owner, &["a", "b"]).await?;
    let (a, b) = (notes[0].as_str(), notes[1].as_str());
    let settings = Settings {
        anonymous: true,
        ..Settings::new(Kind::Dots)
    };
    let round = owner.open(settings, &[a, b]).await?;
    let cleos = team.tab(&server, &cleo).await?;
    ensure!(cleos.cast(&round, dots([(a, 3)])).await? == Answer::Ack(None));
    drop((owner, cleos));
    take_down(&mut server, Down::Graceful)?;
    team.owner.come_back(&server);
    cleo.come_back(&server);

    let cleos = team.tab(&server, &cleo).await?;
    cleos
        .wait_view(&round, |v| v.mine == dots([(a, 3)]))
        .await
        .context("Cleo's anonymous ballot is not hers after the restart")?;
    ensure!(cleos.cast(&round, dots([(b, 1)])).await? == Answer::Ack(None));
    let owner = team.tab(&server, &team.owner).await?;
    let (voted, _) = owner.wait_voted(&round, 1).await?;
    ensure!(voted == 1);
    owner.reveal(&round).await?;
    let result = owner.wait_result(&round).await?;
    ensure!(
        result.voters == 1 && result.items[a].votes == 0 && result.items[b].votes == 1,
        "the ballot before the restart still counts: {result:?}"
    );
    Ok(())
}

/// Fist to five: who may still write dissent survives a restart (kill -9): the person at 1
/// is asked again when they come back, once, and their dissent lands in the result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_may_write_dissent_survives_kill_9() -> anyhow::Result<()> {
    let (mut server, _data) = TestServer::start()?;
    let mut team = Team::start(&server, "Olga Owner").await?;
    let mut cleo = team.member(&server, "commenter", "Cleo Commenter").await?;
    let owner = team.tab(&server, &team.owner).await?;
    let p = add_notes(&owner, &["proposal"]).await?.remove(0);
    let round = owner
        .open(Settings::new(Kind::FistToFive), &[p.as_str()])
        .await?;
    let cleos = team.tab(&server, &cleo).await?;
    let fist =
        |n| huddle_tests::rounds::ballot([(p.as_str(), huddle_shared::rounds::Choice::Fist(n))]);
    ensure!(cleos.cast(&round, fist(1)).await? == Answer::Ack(None));
    ensure!(owner.cast(&round, fist(5)).await? == Answer::Ack(None));
    owner.reveal(&round).await?;
    cleos.wait_view(&round, |v| v.can_dissent).await?;
    drop((owner, cleos));
    server.kill9();
    server.restart()?;
    team.owner.come_back(&server);
    cleo.come_back(&server);

    let cleos = team.tab(&server, &cleo).await?;
    cleos
        .wait_view(&round, |v| v.can_dissent)
        .await
        .context("Cleo is no longer asked for her dissent after the restart")?;
    let dissent = |text: &str| huddle_shared::rounds::Command::Dissent {
        round: round.clone(),
        text: text.to_owned(),
    };
    cleos.ack(dissent("Show me the numbers")).await?;
    let again = cleos.ask(dissent("Twice")).await?;
    ensure!(
        matches!(again, Answer::Refused(_)),
        "a second dissent: {again:?}"
    );
    let result = cleos
        .wait_result_where(&round, |r| !r.dissent.is_empty())
        .await?;
    ensure!(
        result.dissent.len() == 1
            && result.dissent[0].text == "Show me the numbers"
            && result.dissent[0].name.as_deref() == Some("Cleo Commenter"),
        "{:?}",
        result.dissent
    );
    Ok(())
}
