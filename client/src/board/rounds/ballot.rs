//! The page's side of a ballot: what a click, a key or a card does to the person's own
//! ballot before the whole new ballot is sent with `Cast`. Pure, so it is unit-tested; the
//! server checks every ballot again (`Round::check_ballot`), the page only helps.

use huddle_shared::rounds::{Ballot, Choice, Kind, RoundView};

/// A dot more on `item` (`add`) or one fewer; `None` when nothing would change or the rules
/// say no (not a target, over the budget or the cap, no dot to take away).
pub fn dot(view: &RoundView, item: &str, add: bool) -> Option<Ballot> {
    let round = &view.round;
    if round.settings.kind != Kind::Dots || !round.targets.iter().any(|t| t == item) {
        return None;
    }
    let mut ballot = view.mine.clone();
    let now = match ballot.get(item) {
        Some(Choice::Dots(n)) => *n,
        _ => 0,
    };
    let next = if add { now + 1 } else { now.checked_sub(1)? };
    if next == 0 {
        ballot.remove(item);
    } else {
        ballot.insert(item.to_owned(), Choice::Dots(next));
    }
    round.check_ballot(&ballot).ok()?;
    Some(ballot)
}

/// The person's ballot with `choice` on `item` (fist to five, a poker card, a score).
pub fn choose(view: &RoundView, item: &str, choice: Choice) -> Option<Ballot> {
    let mut ballot = view.mine.clone();
    ballot.insert(item.to_owned(), choice);
    view.round.check_ballot(&ballot).ok()?;
    Some(ballot)
}

/// Impact/effort: the person's score on `item` with one axis changed. An axis not given yet
/// starts in the middle (3), as on a paper matrix.
pub fn score(
    view: &RoundView,
    item: &str,
    impact: Option<u8>,
    effort: Option<u8>,
) -> Option<Ballot> {
    let (old_impact, old_effort) = match view.mine.get(item) {
        Some(Choice::Score { impact, effort }) => (*impact, *effort),
        _ => (3, 3),
    };
    let choice = Choice::Score {
        impact: impact.unwrap_or(old_impact),
        effort: effort.unwrap_or(old_effort),
    };
    choose(view, item, choice)
}

/// Dots the person has on `item`.
pub fn dots_on(view: &RoundView, item: &str) -> u32 {
    match view.mine.get(item) {
        Some(Choice::Dots(n)) => *n,
        _ => 0,
    }
}

/// What a digit key picks in a card round: fist to five takes the digit as the value; poker
/// takes the card at that place in the deck (1 is the first, 0 the tenth), as the picker
/// labels them.
pub fn card_for_digit(view: &RoundView, digit: u32) -> Option<Choice> {
    let settings = &view.round.settings;
    match settings.kind {
        Kind::FistToFive => u8::try_from(digit)
            .ok()
            .filter(|d| *d <= 5)
            .map(Choice::Fist),
        Kind::Poker => {
            let place = if digit == 0 { 9 } else { digit as usize - 1 };
            let cards = settings.scale.cards();
            cards.get(place).map(|c| Choice::Card(c.label.clone()))
        }
        _ => None,
    }
}

/// The key hint shown on the card at `place` in the deck (`None` past the tenth).
pub fn digit_for_place(place: usize) -> Option<char> {
    match place {
        0..=8 => char::from_digit(place as u32 + 1, 10),
        9 => Some('0'),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use huddle_shared::rounds::{Round, Scale, Settings, Status};

    fn view(kind: Kind, targets: &[&str]) -> RoundView {
        let mut settings = Settings::new(kind);
        settings.budget = 3;
        settings.cap = Some(2);
        RoundView {
            round: Round {
                id: "r1".into(),
                settings,
                targets: targets.iter().map(|t| t.to_string()).collect(),
                scope: Default::default(),
                area: None,
                opened_by: "Ann".into(),
                opened_at: 1,
                status: Status::Open,
                closed_at: None,
                rerun_of: None,
            },
            voted: 0,
            of: 3,
            mine: Ballot::new(),
            left: Some(3),
            can_vote: true,
            can_dissent: false,
        }
    }

    #[test]
    fn dots_stay_within_budget_cap_and_targets() {
        let mut v = view(Kind::Dots, &["a", "b"]);
        v.mine = dot(&v, "a", true).expect("first dot");
        v.mine = dot(&v, "a", true).expect("second dot");
        assert_eq!(dot(&v, "a", true), None, "cap of 2");
        v.mine = dot(&v, "b", true).expect("third dot");
        assert_eq!(dot(&v, "b", true), None, "budget of 3");
        assert_eq!(dot(&v, "c", true), None, "not a target");
        v.mine = dot(&v, "b", false).expect("take one back");
        assert_eq!(dots_on(&v, "b"), 0);
        assert!(!v.mine.contains_key("b"), "no zero-dot entries");
        assert_eq!(dot(&v, "b", false), None, "nothing to take back");
    }

    #[test]
    fn digits_pick_fingers_and_cards() {
        let fist = view(Kind::FistToFive, &["p"]);
        assert_eq!(card_for_digit(&fist, 4), Some(Choice::Fist(4)));
        assert_eq!(card_for_digit(&fist, 6), None);
        let mut poker = view(Kind::Poker, &["s"]);
        assert_eq!(card_for_digit(&poker, 1), Some(Choice::Card("0".into())));
        assert_eq!(card_for_digit(&poker, 5), Some(Choice::Card("5".into())));
        assert_eq!(card_for_digit(&poker, 9), Some(Choice::Card("?".into())));
        assert_eq!(
            card_for_digit(&poker, 0),
            Some(Choice::Card("coffee".into()))
        );
        poker.round.settings.scale = Scale::TShirt;
        assert_eq!(card_for_digit(&poker, 3), Some(Choice::Card("M".into())));
        assert_eq!(card_for_digit(&poker, 8), None);
        assert_eq!(digit_for_place(0), Some('1'));
        assert_eq!(digit_for_place(9), Some('0'));
        assert_eq!(digit_for_place(10), None);
    }

    #[test]
    fn scores_start_in_the_middle() {
        let v = view(Kind::ImpactEffort, &["n"]);
        let b = score(&v, "n", Some(5), None).expect("valid");
        assert_eq!(
            b.get("n"),
            Some(&Choice::Score {
                impact: 5,
                effort: 3
            })
        );
        assert_eq!(score(&v, "n", Some(6), None), None);
    }
}
