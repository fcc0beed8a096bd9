//! Impact/effort scoring on the wire: scores outside 1 to 5 are refused; the reveal moves
//! each scored note to the team's median in the matrix (low effort left, high impact top),
//! as one server change every client receives, and the result keeps each axis's range.

use anyhow::{Context, ensure};
use huddle_shared::rounds::{Choice, Command, Kind, RoundError, Scope, Settings};
use huddle_tests::rounds::{Answer, Team, add_notes, ballot, refusal};
use huddle_tests::server::TestServer;
use yrs::Transact;

/// The matrix: `[x, y, w, h]`.
const AREA: [f64; 4] = [1000.0, 500.0, 800.0, 800.0];

fn score(item: &str, impact: u8, effort: u8) -> (&str, Choice) {
    (item, Choice::Score { impact, effort })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reveal_moves_each_note_to_the_teams_median() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let team = Team::start(&server, "Olga Owner").await?;
    let cleo = team.member(&server, "commenter", "Cleo Commenter").await?;
    let owner = team.tab(&server, &team.owner).await?;
    let notes = add_notes(&owner, &["quick win", "money pit"]).await?;
    let (win, pit) = (notes[0].as_str(), notes[1].as_str());
    let round = owner
        .ack(Command::Open {
            settings: Settings::new(Kind::ImpactEffort),
            targets: vec![win.to_owned(), pit.to_owned()],
            scope: Scope::Selection,
            area: Some(AREA),
        })
        .await?
        .context("no round id")?;
    let cleos = team.tab(&server, &cleo).await?;
    for (impact, effort) in [(0, 3), (3, 6)] {
        let reason = refusal(
            cleos
                .cast(&round, ballot([score(win, impact, effort)]))
                .await?,
            &format!("impact {impact}, effort {effort}"),
        )?;
        ensure!(reason == RoundError::BadScore.to_string(), "{reason:?}");
    }
    let ballots = [
        (&owner, ballot([score(win, 5, 1), score(pit, 1, 5)])),
        (&cleos, ballot([score(win, 5, 1), score(pit, 3, 5)])),
    ];
    for (tab, ballot) in &ballots {
        ensure!(tab.cast(&round, ballot.clone()).await? == Answer::Ack(None));
    }
    let before = cleos.board.snapshot(&cleos.board.doc().transact()).items;
    owner.reveal(&round).await?;
    let result = cleos.wait_result(&round).await?;
    let (wi, we) = (result.items[win].impact, result.items[win].effort);
    let (pi, pe) = (result.items[pit].impact, result.items[pit].effort);
    let (wi, we, pi, pe) = (
        wi.context("impact")?,
        we.context("effort")?,
        pi.context("impact")?,
        pe.context("effort")?,
    );
    ensure!(
        (wi.median, we.median, pe.median) == (5.0, 1.0, 5.0)
            && (pi.min, pi.max, pi.n) == (1, 3, 2)
            && (1.0..=3.0).contains(&pi.median),
        "{result:?}"
    );

    // The notes moved: each where the medians put it, inside the matrix.
    owner.save().await?;
    cleos.save().await?;
    let after = cleos.board.snapshot(&cleos.board.doc().transact()).items;
    let [x, y, w, h] = AREA;
    for (id, impact, effort) in [(win, wi.median, we.median), (pit, pi.median, pe.median)] {
        let item = &after[id];
        let free = [(w - item.size[0]).max(0.0), (h - item.size[1]).max(0.0)];
        let want = [
            x + (effort - 1.0) / 4.0 * free[0],
            y + (5.0 - impact) / 4.0 * free[1],
        ];
        let close = |a: f64, b: f64| (a - b).abs() < 0.5;
        ensure!(
            close(item.pos[0], want[0]) && close(item.pos[1], want[1]),
            "{id} is at {:?}, want {want:?} (it was at {:?})",
            item.pos,
            before[id].pos
        );
    }
    ensure!(
        after[win].pos[0] < after[pit].pos[0] && after[win].pos[1] < after[pit].pos[1],
        "the quick win is not left of and above the money pit: {:?} {:?}",
        after[win].pos,
        after[pit].pos
    );
    // The owner's replica (the facilitator) has the same positions.
    let owners = owner.board.snapshot(&owner.board.doc().transact()).items;
    ensure!(
        owners[win].pos == after[win].pos && owners[pit].pos == after[pit].pos,
        "the replicas disagree"
    );
    Ok(())
}
