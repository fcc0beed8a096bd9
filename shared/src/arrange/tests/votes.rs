//! Sort by votes: the dots of each item's latest revealed dot vote, most first; ties keep the
//! reading order they had.

use yrs::Transact;

use super::{arrange, at, items, read};
use crate::arrange::{Op, SortKey};
use crate::model::Board;
use crate::rounds::{Choice, Kind, Round, Scope, Settings, Status, tally};

/// Writes a revealed dot vote on `targets` closed at `closed_at`, with `dots` (item, count)
/// from one voter, as the server does at a reveal.
fn dot_vote(board: &Board, id: &str, targets: &[&String], dots: &[(&String, u32)], closed_at: u64) {
    let round = Round {
        id: id.into(),
        settings: Settings {
            budget: 100,
            ..Settings::new(Kind::Dots)
        },
        targets: targets.iter().map(|t| t.to_string()).collect(),
        scope: Scope::Selection,
        area: None,
        opened_by: "Ann".into(),
        opened_at: 1,
        status: Status::Open,
        closed_at: None,
        rerun_of: None,
    };
    let ballot = dots
        .iter()
        .map(|(item, n)| (item.to_string(), Choice::Dots(*n)))
        .collect();
    let mut result = tally(&round, &[("Ann".into(), ballot)], false);
    result.round.status = Status::Revealed;
    result.round.closed_at = Some(closed_at);
    board.write_round_result(&mut board.doc().transact_mut(), &result);
}

#[test]
fn most_dots_first_ties_in_reading_order() {
    let board = Board::with_client_id(1);
    // Reading order a b c / d e f.
    let spots = [
        [0.0, 0.0],
        [300.0, 0.0],
        [600.0, 0.0],
        [0.0, 300.0],
        [300.0, 300.0],
        [600.0, 300.0],
    ];
    let ids: Vec<String> = spots.iter().map(|p| at(&board, p[0], p[1])).collect();
    let refs: Vec<&String> = ids.iter().collect();
    let [a, b, c, d, e, f] = [0, 1, 2, 3, 4, 5].map(|i| &ids[i]);
    // An older vote gave f the most dots; the latest one on f counts, not the sum.
    dot_vote(&board, "r1", &[f], &[(f, 9)], 10);
    dot_vote(&board, "r2", &refs, &[(e, 3), (b, 1), (f, 1), (d, 3)], 20);
    arrange(&board, &items(&refs), Op::Sort(SortKey::Votes));
    // d and e tie at 3 (d reads first), b and f at 1, a and c have none.
    let expected: Vec<String> = [d, e, b, f, a, c].iter().map(|s| s.to_string()).collect();
    assert_eq!(read(&board, &refs), expected);
}

#[test]
fn a_board_without_votes_keeps_its_reading_order() {
    let board = Board::with_client_id(1);
    // A crooked layout: the sort lays it out as a grid in the order it reads.
    let spots = [[500.0, 30.0], [0.0, 10.0], [260.0, 0.0], [20.0, 300.0]];
    let ids: Vec<String> = spots.iter().map(|p| at(&board, p[0], p[1])).collect();
    let refs: Vec<&String> = ids.iter().collect();
    arrange(&board, &items(&refs), Op::Sort(SortKey::Votes));
    let expected: Vec<String> = [1, 2, 0, 3].iter().map(|i| ids[*i].clone()).collect();
    assert_eq!(read(&board, &refs), expected);
}
