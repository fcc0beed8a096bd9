//! Facilitation on the wire, against the real server: only the facilitator starts and ends
//! rounds, the timer and the agenda (whoever holds the role: the owner until it is handed on,
//! then the person handed it, until an owner claims it back); Rotate picks whoever present
//! facilitated least recently and the history is in the document; the timer is the server's
//! (two clients see the same arithmetic, and its deadline survives `kill -9`); an agenda step
//! arms what it needs (private writing, a round) and moving on disarms it (the round is
//! revealed); the contribution balance comes from the server's attribution (a stock Yjs
//! client's notes count for it) and ranks the quiet first.

use std::time::Duration;

use anyhow::{Context, ensure};
use huddle_shared::facilitation::{Command, StepKind, Timer};
use huddle_shared::rounds::{self, Kind, Scope, Settings};
use huddle_tests::facilitation::{
    self as fac, ack, ask, balances, hand, hello, public, refused, step, wait_balance,
    wait_facilitator, wait_public,
};
use huddle_tests::js;
use huddle_tests::rounds::{Answer, Tab, Team, add_notes, dots, now_ms};
use huddle_tests::server::TestServer;
use serde_json::json;

/// What only the facilitator may ask, each refused to anyone else (with a reason naming the
/// facilitator) before anything is looked at.
fn facilitator_commands() -> Vec<Command> {
    vec![
        Command::TimerStart {
            secs: 60,
            label: "Sneaky".into(),
            sound: false,
        },
        Command::TimerPause,
        Command::TimerResume,
        Command::TimerExtend { secs: 300 },
        Command::TimerEnd,
        Command::AgendaSet {
            steps: vec![step(StepKind::Free, "Sneaky", 5)],
        },
        Command::AgendaStart { step: 0 },
        Command::AgendaNext,
        Command::AgendaStop,
        Command::ShareBalance { everyone: true },
        Command::Rotate,
    ]
}

/// Opens a one-note dot vote as `tab`: the server's answer.
async fn open_round(tab: &Tab, note: &str) -> anyhow::Result<Answer> {
    tab.ask(rounds::Command::Open {
        settings: Settings::new(Kind::Dots),
        targets: vec![note.to_owned()],
        scope: Scope::Selection,
        area: None,
    })
    .await
}

/// Fails unless every facilitator command and opening a round is refused to `tab`, each with
/// a reason that names the facilitator role (`who` for messages), and nothing changed.
async fn all_refused(tab: &Tab, owner: &Tab, note: &str, who: &str) -> anyhow::Result<()> {
    let before = public(owner);
    for cmd in facilitator_commands() {
        let reason = refused(tab, cmd.clone())
            .await
            .with_context(|| format!("{who}: {cmd:?}"))?;
        ensure!(
            reason.contains("facilitator"),
            "{who}: {cmd:?} refused with {reason:?}, which does not say why"
        );
    }
    match open_round(tab, note).await? {
        Answer::Refused(reason) if reason.contains("facilitator") => {}
        other => anyhow::bail!("{who} opening a round: {other:?}"),
    }
    owner.save().await?;
    ensure!(
        public(owner) == before,
        "{who}'s refused commands changed the state: {:?} -> {:?}",
        before,
        public(owner)
    );
    Ok(())
}

/// Only the facilitator's rounds, timer and agenda commands are accepted: an editor and a
/// commenter are refused, the owner accepted; after the owner hands the role to the editor,
/// the editor is accepted and the owner refused, until the owner claims it back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_facilitator_runs_rounds_the_timer_and_the_agenda() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let team = Team::start(&server, "Olga Owner").await?;
    let ed = team.member(&server, "editor", "Ed Editor").await?;
    let cleo = team.member(&server, "commenter", "Cleo Commenter").await?;
    let owner = team.tab(&server, &team.owner).await?;
    let eds = team.tab(&server, &ed).await?;
    let cleos = team.tab(&server, &cleo).await?;
    for tab in [&owner, &eds, &cleos] {
        hello(tab).await?;
    }
    let notes = add_notes(&owner, &["an idea"]).await?;
    let note = notes[0].as_str();

    // The owner facilitates (nobody was handed the role): a timer and an agenda.
    ack(
        &owner,
        Command::TimerStart {
            secs: 600,
            label: "Discuss".into(),
            sound: true,
        },
    )
    .await?;
    ack(
        &owner,
        Command::AgendaSet {
            steps: vec![step(StepKind::Discuss, "Talk", 5)],
        },
    )
    .await?;
    wait_public(&cleos, |p| p.timer.is_some() && p.agenda.steps.len() == 1).await?;
    all_refused(&eds, &owner, note, "the editor").await?;
    all_refused(&cleos, &owner, note, "the commenter").await?;
    ack(&owner, Command::TimerPause).await?;
    let round = match open_round(&owner, note).await? {
        Answer::Ack(Some(id)) => id,
        other => anyhow::bail!("the owner opening a round: {other:?}"),
    };
    owner.reveal(&round).await?;

    // Handed to the editor: the editor runs things, the owner is refused.
    hand(&owner, &ed).await?;
    wait_facilitator(&cleos, &ed).await?;
    ack(&eds, Command::TimerResume).await?;
    ack(&eds, Command::TimerExtend { secs: 60 }).await?;
    ack(&eds, Command::AgendaStart { step: 0 }).await?;
    ack(&eds, Command::AgendaStop).await?;
    ack(&eds, Command::ShareBalance { everyone: false }).await?;
    let eds_round = match open_round(&eds, note).await? {
        Answer::Ack(Some(id)) => id,
        other => anyhow::bail!("the editor (facilitator) opening a round: {other:?}"),
    };
    eds.ack(rounds::Command::Cancel {
        round: eds_round.clone(),
    })
    .await?;
    all_refused(&owner, &eds, note, "the owner (not facilitator)").await?;
    let reason = refused(&owner, Command::TimerEnd).await?;
    ensure!(
        reason.contains("Ed Editor"),
        "the refusal does not name the facilitator: {reason:?}"
    );
    all_refused(&cleos, &eds, note, "the commenter").await?;

    // Only an owner claims the role back; then the editor is refused again.
    let reason = refused(&cleos, Command::Claim).await?;
    ensure!(reason.contains("owner"), "{reason:?}");
    ack(&owner, Command::Claim).await?;
    wait_facilitator(&cleos, &team.owner).await?;
    all_refused(&eds, &owner, note, "the editor, after the claim").await?;
    // (Ed's agenda step replaced the timer and stopping the agenda cleared it.)
    ack(
        &owner,
        Command::TimerStart {
            secs: 60,
            label: "Back to Olga".into(),
            sound: false,
        },
    )
    .await?;
    wait_public(&cleos, |p| p.timer.is_some()).await?;
    ack(&owner, Command::TimerEnd).await?;
    wait_public(&cleos, |p| p.timer.is_none()).await?;
    Ok(())
}

/// Rotate hands the role to whoever present never facilitated, then to whoever facilitated
/// least recently; every turn is in the history in the document, each ending when the next
/// begins, the same in every replica.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_picks_by_the_history_and_the_history_is_in_the_document() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let team = Team::start(&server, "Olga Owner").await?;
    // Names chosen so that "by name" would pick Ann first: only the history picks Bob.
    let ann = team.member(&server, "editor", "Ann Anders").await?;
    let bob = team.member(&server, "commenter", "Bob Brown").await?;
    let olga = team.tab(&server, &team.owner).await?;
    let anns = team.tab(&server, &ann).await?;
    let bobs = team.tab(&server, &bob).await?;
    // Turns a millisecond apart at least, so "least recently" never ties.
    let pause = || tokio::time::sleep(Duration::from_millis(20));

    hand(&olga, &ann).await?;
    wait_facilitator(&anns, &ann).await?;
    pause().await;
    hand(&anns, &team.owner).await?;
    wait_facilitator(&olga, &team.owner).await?;
    pause().await;
    // Bob never facilitated: he is next, although Ann's name comes first.
    ack(&olga, Command::Rotate).await?;
    wait_facilitator(&bobs, &bob).await?;
    pause().await;
    // Ann's turn ended before Olga's: Ann.
    ack(&bobs, Command::Rotate).await?;
    wait_facilitator(&anns, &ann).await?;
    pause().await;
    // Olga's ended before Bob's: Olga.
    ack(&anns, Command::Rotate).await?;
    let state = wait_facilitator(&bobs, &team.owner).await?;

    let who: Vec<&str> = state.history.iter().map(|t| t.person.as_str()).collect();
    let want = [&ann.id, &team.owner.id, &bob.id, &ann.id, &team.owner.id].map(String::as_str);
    ensure!(who == want, "history {who:?}, want {want:?}");
    let names: Vec<&str> = state.history.iter().map(|t| t.name.as_str()).collect();
    ensure!(
        names
            == [
                "Ann Anders",
                "Olga Owner",
                "Bob Brown",
                "Ann Anders",
                "Olga Owner"
            ],
        "{names:?}"
    );
    for pair in state.history.windows(2) {
        ensure!(
            pair[0].to == Some(pair[1].from) && pair[0].from <= pair[1].from,
            "a turn does not end when the next begins: {pair:?}"
        );
    }
    ensure!(state.history.last().is_some_and(|t| t.to.is_none()));
    // Every replica has the same history.
    for tab in [&olga, &anns] {
        wait_public(tab, |p| p.history == state.history).await?;
    }
    Ok(())
}

/// Waits until both replicas hold the same timer satisfying `pred`; returns it.
async fn same_timer(a: &Tab, b: &Tab, pred: impl Fn(&Timer) -> bool) -> anyhow::Result<Timer> {
    let state = wait_public(a, |p| p.timer.as_ref().is_some_and(&pred)).await?;
    let timer = state.timer.context("vanished")?;
    wait_public(b, |p| p.timer.as_ref() == Some(&timer))
        .await
        .context("the second client sees another timer")?;
    Ok(timer)
}

/// The timer is the server's: start, pause, extend while paused, resume and extend while
/// running give the arithmetic of the server's clock, identical in two clients; after a
/// `kill -9` the deadline is the same, and pausing it then leaves what the stored deadline
/// says (so the server, not only the document, kept it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timer_is_the_servers_and_keeps_its_deadline_across_a_restart() -> anyhow::Result<()> {
    let (mut server, _data) = TestServer::start()?;
    let mut team = Team::start(&server, "Olga Owner").await?;
    let mut ed = team.member(&server, "editor", "Ed Editor").await?;
    let owner = team.tab(&server, &team.owner).await?;
    let eds = team.tab(&server, &ed).await?;
    hello(&owner).await?;
    let clock = fac::clock(&owner).context("no clock on hello")?;
    ensure!(
        clock.abs_diff(now_ms()) < 5_000,
        "the server's clock {clock} is far from this machine's"
    );

    let before = now_ms();
    ack(
        &owner,
        Command::TimerStart {
            secs: 600,
            label: "Write".into(),
            sound: true,
        },
    )
    .await?;
    let after = now_ms();
    let started = same_timer(&owner, &eds, |_| true).await?;
    let end = started.ends_at.context("a started timer runs")?;
    ensure!(
        (before + 600_000..=after + 600_000).contains(&end)
            && started.total_ms == 600_000
            && started.label == "Write"
            && started.sound,
        "{started:?} (started between {before} and {after})"
    );

    let before = now_ms();
    ack(&owner, Command::TimerPause).await?;
    let after = now_ms();
    let paused = same_timer(&owner, &eds, |t| !t.running()).await?;
    ensure!(
        (end - after..=end - before).contains(&paused.left_ms) && paused.version > started.version,
        "{paused:?}: left should be the end {end} minus the pause in {before}..{after}"
    );

    ack(&owner, Command::TimerExtend { secs: 60 }).await?;
    let extended = same_timer(&owner, &eds, |t| t.version > paused.version).await?;
    ensure!(
        !extended.running()
            && extended.left_ms == paused.left_ms + 60_000
            && extended.total_ms == 660_000,
        "+1 minute while paused: {extended:?} from {paused:?}"
    );

    let before = now_ms();
    ack(&owner, Command::TimerResume).await?;
    let after = now_ms();
    let resumed = same_timer(&owner, &eds, |t| t.running()).await?;
    let left = extended.left_ms;
    let end = resumed.ends_at.context("resumed")?;
    ensure!(
        (before + left..=after + left).contains(&end),
        "resumed: {resumed:?}, should end {left} ms after {before}..{after}"
    );
    ack(&owner, Command::TimerExtend { secs: 300 }).await?;
    let running = same_timer(&owner, &eds, |t| t.version > resumed.version).await?;
    ensure!(
        running.ends_at == Some(end + 300_000) && running.total_ms == 960_000,
        "+5 minutes while running: {running:?} from {resumed:?}"
    );
    let end = end + 300_000;

    // kill -9 right after the acknowledgement: the deadline was on disk.
    drop((owner, eds));
    server.kill9();
    server.restart()?;
    team.owner.come_back(&server);
    ed.come_back(&server);
    let owner = team.tab(&server, &team.owner).await?;
    let eds = team.tab(&server, &ed).await?;
    let back = same_timer(&owner, &eds, |_| true).await?;
    ensure!(
        back == running,
        "after kill -9: {back:?}, before: {running:?}"
    );
    refused(&eds, Command::TimerPause).await?;
    let before = now_ms();
    ack(&owner, Command::TimerPause).await?;
    let after = now_ms();
    let paused = same_timer(&owner, &eds, |t| !t.running()).await?;
    ensure!(
        (end - after..=end - before).contains(&paused.left_ms),
        "paused after the restart: {paused:?}; the deadline was {end}"
    );
    ack(&owner, Command::TimerEnd).await?;
    wait_public(&eds, |p| p.timer.is_none()).await?;
    Ok(())
}

/// An agenda of private writing, a dot vote and a discussion, driven by the facilitator: each
/// step starts its timer and arms what it needs; a client sees the step's round (its round
/// hello view) and votes; moving on reveals it; after the last step the agenda is finished.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agenda_step_opens_a_round_and_the_next_step_reveals_it() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let team = Team::start(&server, "Olga Owner").await?;
    let cleo = team.member(&server, "commenter", "Cleo Commenter").await?;
    let owner = team.tab(&server, &team.owner).await?;
    let cleos = team.tab(&server, &cleo).await?;
    let mut notes = add_notes(&owner, &["first idea", "second idea", "third idea"]).await?;
    notes.sort();

    let reason = refused(&owner, Command::AgendaStart { step: 0 }).await?;
    ensure!(reason.contains("no steps"), "{reason:?}");
    let reason = refused(
        &owner,
        Command::AgendaSet {
            steps: vec![step(StepKind::Free, "Too short", 0)],
        },
    )
    .await?;
    ensure!(reason.contains("minutes"), "{reason:?}");
    ack(
        &owner,
        Command::AgendaSet {
            steps: vec![
                step(StepKind::WritePrivately, "Write ideas", 1),
                step(StepKind::DotVote, "Vote on ideas", 5),
                step(StepKind::Discuss, "Talk it through", 10),
            ],
        },
    )
    .await?;
    let reason = refused(&owner, Command::AgendaNext).await?;
    ensure!(reason.contains("no agenda step"), "{reason:?}");

    let before = now_ms();
    ack(&owner, Command::AgendaStart { step: 0 }).await?;
    let state = wait_public(&cleos, |p| p.agenda.current == Some(0)).await?;
    let timer = state.timer.clone().context("the step started no timer")?;
    ensure!(
        state.private.is_some()
            && state.agenda.started_at.is_some_and(|s| s >= before)
            && timer.label == "Write ideas"
            && timer.total_ms == 60_000
            && timer.sound,
        "after starting the private-writing step: {state:?}"
    );
    let started_at = state.agenda.started_at;

    ack(&owner, Command::AgendaNext).await?;
    let state = wait_public(&cleos, |p| p.agenda.current == Some(1)).await?;
    let round = state
        .agenda
        .round
        .clone()
        .context("the vote step opened no round")?;
    ensure!(
        state.private.is_none()
            && state.agenda.started_at == started_at
            && state
                .timer
                .as_ref()
                .is_some_and(|t| t.label == "Vote on ideas" && t.total_ms == 300_000),
        "after the vote step started: {state:?}"
    );
    let view = cleos.wait_view(&round, |_| true).await?;
    let mut targets = view.round.targets.clone();
    targets.sort();
    ensure!(
        view.round.settings.kind == Kind::Dots
            && view.round.settings.title == "Vote on ideas"
            && view.round.scope == Scope::Board
            && targets == notes
            && view.can_vote,
        "the step's round as the commenter sees it: {view:?}"
    );
    let (a, b) = (notes[0].as_str(), notes[1].as_str());
    let answer = cleos.cast(&round, dots([(a, 2), (b, 1)])).await?;
    ensure!(answer == Answer::Ack(None), "{answer:?}");
    ensure!(
        !cleos.results().contains_key(&round),
        "a result before the step ended"
    );

    ack(&owner, Command::AgendaNext).await?;
    let result = cleos.wait_result(&round).await?;
    ensure!(
        result.items[a].votes == 2 && result.items[b].votes == 1,
        "{result:?}"
    );
    let state = wait_public(&cleos, |p| p.agenda.current == Some(2)).await?;
    ensure!(
        state.agenda.round.is_none()
            && state
                .timer
                .as_ref()
                .is_some_and(|t| t.label == "Talk it through"),
        "{state:?}"
    );

    ack(&owner, Command::AgendaNext).await?;
    let state = wait_public(&cleos, |p| p.agenda.current.is_none()).await?;
    ensure!(
        state.timer.is_none() && state.agenda.started_at == started_at,
        "after the last step: {state:?}"
    );

    // An estimate step with no stories on the board estimates every note; stopping the
    // agenda reveals it.
    ack(
        &owner,
        Command::AgendaSet {
            steps: vec![step(StepKind::Estimate, "", 3)],
        },
    )
    .await?;
    ack(&owner, Command::AgendaStart { step: 0 }).await?;
    let state = wait_public(&cleos, |p| p.agenda.round.is_some()).await?;
    let poker = state.agenda.round.clone().context("no round")?;
    let view = cleos.wait_view(&poker, |_| true).await?;
    ensure!(
        view.round.settings.kind == Kind::Poker
            && view.round.targets.len() == 3
            && state.timer.as_ref().is_some_and(|t| t.label == "Estimate"),
        "{view:?} {state:?}"
    );
    ack(&owner, Command::AgendaStop).await?;
    cleos.wait_result(&poker).await?;
    Ok(())
}

/// The balance counts from the server's attribution: a stock Yjs client with an editor link
/// writes two notes (a y-sync update, nothing else) and they count for its person, with their
/// words; an editor's note and ballot count for the editor; the editor who wrote nothing is at
/// the top. Only the facilitator gets it, until it is shared with everyone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_balance_ranks_the_quiet_first_and_counts_a_stock_clients_notes() -> anyhow::Result<()>
{
    let (server, _data) = TestServer::start()?;
    let team = Team::start(&server, "Olga Owner").await?;
    let ed = team.member(&server, "editor", "Ed Editor").await?;
    let quinn = team.member(&server, "editor", "Quiet Quinn").await?;
    let owner = team.tab(&server, &team.owner).await?;
    let eds = team.tab(&server, &ed).await?;
    let quinns = team.tab(&server, &quinn).await?;
    for tab in [&owner, &eds, &quinns] {
        hello(tab).await?;
    }
    add_notes(&owner, &["the owner's idea here"]).await?;
    let eds_note = add_notes(&eds, &["one two three"]).await?.remove(0);
    let round = owner.open(Settings::new(Kind::Dots), &[&eds_note]).await?;
    let answer = eds.cast(&round, dots([(eds_note.as_str(), 1)])).await?;
    ensure!(answer == Answer::Ack(None), "{answer:?}");

    let key = team.key("editor")?.to_owned();
    js::run(
        &server.ws_base(),
        &team.board,
        Some(&key),
        json!([
            {"op": "wait_synced"},
            {"op": "create_note", "id": "js-note-one", "x": 0, "y": 400, "text": "alpha beta"},
            {"op": "create_note", "id": "js-note-two", "x": 300, "y": 400,
             "text": "gamma delta epsilon"},
            {"op": "flush"},
        ]),
    )
    .await?;

    let known = [&team.owner.id, &ed.id, &quinn.id];
    let (since, people) = wait_balance(&owner, |people| {
        let stock = people.iter().find(|p| !known.contains(&&p.person));
        let eds = people.iter().find(|p| p.person == ed.id);
        stock.is_some_and(|s| s.notes == 2 && s.words == 5)
            && eds.is_some_and(|e| e.notes == 1 && e.words == 3 && e.ballots == 1)
    })
    .await?;
    ensure!(
        since <= now_ms() && now_ms() - since >= 59 * 60 * 1000,
        "without an agenda the balance covers the last hour, not since {since}"
    );
    let top = &people[0];
    ensure!(
        top.person == quinn.id && top.present && top.weight() == 0,
        "the quiet one is not at the top: {people:?}"
    );
    let stock = people
        .iter()
        .find(|p| !known.contains(&&p.person))
        .context("vanished")?;
    ensure!(
        stock.edits >= 1 && stock.ballots == 0,
        "the stock client's counts: {stock:?}"
    );
    let olga = people
        .iter()
        .find(|p| p.person == team.owner.id)
        .context("the facilitator is not in the balance")?;
    ensure!(olga.notes == 1 && olga.words == 4, "{olga:?}");

    // Quinn is not the facilitator: no balance, until it is shared with everyone.
    quinns.save().await?;
    ensure!(
        balances(&quinns).is_empty(),
        "a non-facilitator was sent the balance: {:?}",
        balances(&quinns)
    );
    ack(&owner, Command::ShareBalance { everyone: true }).await?;
    wait_public(&quinns, |p| p.balance_public).await?;
    let (_, shared) = wait_balance(&quinns, |_| true).await?;
    ensure!(
        shared.first().is_some_and(|p| p.person == quinn.id),
        "{shared:?}"
    );
    let answer = ask(&quinns, Command::ShareBalance { everyone: false }).await?;
    ensure!(answer.is_err(), "Quinn unshared the balance: {answer:?}");

    // Once an agenda starts, the session is the agenda's: what came before no longer counts
    // (counts are kept per second: a second apart, nothing of before is in the window).
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    ack(
        &owner,
        Command::AgendaSet {
            steps: vec![step(StepKind::Discuss, "Talk", 5)],
        },
    )
    .await?;
    ack(&owner, Command::AgendaStart { step: 0 }).await?;
    let started = wait_public(&quinns, |p| p.agenda.started_at.is_some())
        .await?
        .agenda
        .started_at;
    let (since, people) =
        wait_balance(&owner, |people| people.iter().all(|p| p.weight() == 0)).await?;
    ensure!(
        Some(since) == started && people.len() == 3 && people.iter().all(|p| p.present),
        "the session's balance (since {since}, agenda started {started:?}): {people:?}"
    );
    Ok(())
}
