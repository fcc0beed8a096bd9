//! The page's own ballot while casts are in flight: what the person clicked stays shown
//! until the server has answered every cast, then the server's word wins.

use huddle_shared::model::Board;
use huddle_shared::rounds::{Ballot, Choice, Kind, Round, RoundView, Settings, Status};

use super::Rounds;

fn dots(pairs: &[(&str, u32)]) -> Ballot {
    pairs
        .iter()
        .map(|(item, n)| ((*item).to_owned(), Choice::Dots(*n)))
        .collect()
}

fn view(mine: Ballot) -> RoundView {
    let round = Round {
        id: "r1".into(),
        settings: Settings::new(Kind::Dots),
        targets: vec!["a".into(), "b".into()],
        scope: Default::default(),
        area: None,
        opened_by: "Ann".into(),
        opened_at: 1,
        status: Status::Open,
        closed_at: None,
        rerun_of: None,
    };
    RoundView {
        left: round.budget_left(&mine),
        round,
        voted: 1,
        of: 3,
        mine,
        can_vote: true,
        can_dissent: false,
    }
}

fn rounds() -> Rounds {
    let mut r = Rounds::observe(&Board::new());
    r.views.insert("r1".into(), view(Ballot::new()));
    r
}

/// Casts `ballot` as `super::cast` does: recorded as request `req`, shown at once.
fn cast(r: &mut Rounds, req: u64, ballot: Ballot) {
    let before = r.views["r1"].mine.clone();
    r.sent(req, Some(("r1".into(), before)));
    r.show_cast("r1", ballot);
}

/// A view from the server, as `on_event` takes it.
fn arrives(r: &mut Rounds, view: RoundView) {
    if let Some(view) = r.hold(view) {
        r.views.insert(view.round.id.clone(), view);
    }
}

#[test]
fn the_answer_to_an_earlier_click_does_not_undo_a_later_one() {
    let mut r = rounds();
    cast(&mut r, 1, dots(&[("a", 1)]));
    cast(&mut r, 2, dots(&[("a", 2)]));
    arrives(&mut r, view(dots(&[("a", 1)])));
    assert_eq!(r.views["r1"].mine, dots(&[("a", 2)]), "held while casting");
    r.answered(1, false);
    assert_eq!(
        r.views["r1"].mine,
        dots(&[("a", 2)]),
        "cast 2 still in flight"
    );
    arrives(&mut r, view(dots(&[("a", 2)])));
    r.answered(2, false);
    assert_eq!(r.views["r1"].mine, dots(&[("a", 2)]));
    assert_eq!(r.views["r1"].left, Some(1));
    assert!(r.held.is_empty());
}

#[test]
fn the_server_has_the_last_word_once_everything_is_answered() {
    let mut r = rounds();
    cast(&mut r, 1, dots(&[("a", 1)]));
    // Another tab of the same person voted meanwhile: the server's view says so.
    arrives(&mut r, view(dots(&[("a", 1), ("b", 2)])));
    r.answered(1, false);
    assert_eq!(r.views["r1"].mine, dots(&[("a", 1), ("b", 2)]));
    assert_eq!(r.views["r1"].left, Some(0));
}

#[test]
fn a_refused_cast_is_undone() {
    let mut r = rounds();
    cast(&mut r, 1, dots(&[("a", 1)]));
    r.answered(1, false);
    cast(&mut r, 2, dots(&[("a", 1), ("b", 1)]));
    r.answered(2, true);
    assert_eq!(r.views["r1"].mine, dots(&[("a", 1)]));
    assert_eq!(r.views["r1"].left, Some(2));
}

#[test]
fn a_refusal_while_another_cast_is_in_flight_waits_for_its_answer() {
    let mut r = rounds();
    cast(&mut r, 1, dots(&[("a", 1)]));
    cast(&mut r, 2, dots(&[("a", 2)]));
    r.answered(1, true);
    assert_eq!(r.views["r1"].mine, dots(&[("a", 2)]), "cast 2 will tell");
    arrives(&mut r, view(dots(&[("a", 2)])));
    r.answered(2, false);
    assert_eq!(r.views["r1"].mine, dots(&[("a", 2)]));
}
