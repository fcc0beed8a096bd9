use super::*;
use crate::model::ItemKind;

fn round(settings: Settings, targets: &[&str]) -> Round {
    Round {
        id: "r1".into(),
        settings,
        targets: targets.iter().map(|t| (*t).to_owned()).collect(),
        scope: Scope::Selection,
        area: None,
        opened_by: "Ann".into(),
        opened_at: 1,
        status: Status::Open,
        closed_at: None,
        rerun_of: None,
    }
}

fn ballot(pairs: &[(&str, Choice)]) -> Ballot {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

#[test]
fn dots_respect_budget_cap_and_targets() {
    let mut s = Settings::new(Kind::Dots);
    s.cap = Some(2);
    let r = round(s, &["a", "b", "c"]);
    assert_eq!(
        r.check_ballot(&ballot(&[("a", Choice::Dots(2)), ("b", Choice::Dots(1))])),
        Ok(())
    );
    assert_eq!(
        r.check_ballot(&ballot(&[("a", Choice::Dots(2)), ("b", Choice::Dots(2))])),
        Err(RoundError::OverBudget { used: 4, budget: 3 })
    );
    assert_eq!(
        r.check_ballot(&ballot(&[("a", Choice::Dots(3))])),
        Err(RoundError::OverCap { cap: 2 })
    );
    assert_eq!(
        r.check_ballot(&ballot(&[("z", Choice::Dots(1))])),
        Err(RoundError::NotATarget("z".into()))
    );
    assert_eq!(
        r.check_ballot(&ballot(&[("a", Choice::Dots(0))])),
        Err(RoundError::ZeroDots)
    );
    assert!(matches!(
        r.check_ballot(&ballot(&[("a", Choice::Fist(3))])),
        Err(RoundError::WrongChoice(..))
    ));
    assert_eq!(
        r.check_ballot(&Ballot::new()),
        Ok(()),
        "an empty ballot withdraws"
    );
    assert_eq!(r.budget_left(&ballot(&[("a", Choice::Dots(2))])), Some(1));
    // u32 overflow cannot sneak under the budget.
    let huge = ballot(&[("a", Choice::Dots(u32::MAX)), ("b", Choice::Dots(u32::MAX))]);
    let mut uncapped = r.clone();
    uncapped.settings.cap = None;
    assert!(matches!(
        uncapped.check_ballot(&huge),
        Err(RoundError::OverBudget { .. })
    ));
}

#[test]
fn other_kinds_check_their_values() {
    let fist = round(Settings::new(Kind::FistToFive), &["p"]);
    assert_eq!(
        fist.check_ballot(&ballot(&[("p", Choice::Fist(5))])),
        Ok(())
    );
    assert_eq!(
        fist.check_ballot(&ballot(&[("p", Choice::Fist(6))])),
        Err(RoundError::BadFist)
    );
    let poker = round(Settings::new(Kind::Poker), &["s"]);
    for ok in ["0", "21", "?", "coffee"] {
        assert_eq!(
            poker.check_ballot(&ballot(&[("s", Choice::Card(ok.into()))])),
            Ok(()),
            "{ok}"
        );
    }
    assert_eq!(
        poker.check_ballot(&ballot(&[("s", Choice::Card("4".into()))])),
        Err(RoundError::BadCard("4".into()))
    );
    let mut tshirt = Settings::new(Kind::Poker);
    tshirt.scale = Scale::TShirt;
    assert_eq!(tshirt.scale.card("L").and_then(|c| c.points), Some(5.0));
    let ie = round(Settings::new(Kind::ImpactEffort), &["n"]);
    assert_eq!(
        ie.check_ballot(&ballot(&[(
            "n",
            Choice::Score {
                impact: 1,
                effort: 5
            }
        )])),
        Ok(())
    );
    assert_eq!(
        ie.check_ballot(&ballot(&[(
            "n",
            Choice::Score {
                impact: 0,
                effort: 5
            }
        )])),
        Err(RoundError::BadScore)
    );
}

#[test]
fn opening_checks_items_and_settings() {
    let note = |id: &str| (id.to_owned(), Some(ItemKind::Note));
    let frame = |id: &str| (id.to_owned(), Some(ItemKind::Frame));
    let dots = Settings::new(Kind::Dots);
    assert_eq!(
        Round::check_new(&dots, &[note("a"), frame("f")], None, 10),
        Ok(())
    );
    assert_eq!(
        Round::check_new(&dots, &[], None, 10),
        Err(RoundError::NoTargets)
    );
    assert_eq!(
        Round::check_new(&dots, &[("gone".into(), None)], None, 10),
        Err(RoundError::WrongItem("gone".into(), "Dot vote"))
    );
    assert_eq!(
        Round::check_new(&dots, &[note("a"), note("a")], None, 10),
        Err(RoundError::DuplicateTarget("a".into()))
    );
    let fist = Settings::new(Kind::FistToFive);
    assert_eq!(
        Round::check_new(&fist, &[note("a"), note("b")], None, 10),
        Err(RoundError::OneTarget("Fist to five"))
    );
    assert!(Round::check_new(&Settings::new(Kind::Poker), &[frame("f")], None, 10).is_err());
    let mut late = Settings::new(Kind::Dots);
    late.deadline = Some(5);
    assert_eq!(
        Round::check_new(&late, &[note("a")], None, 10),
        Err(RoundError::DeadlinePassed)
    );
    let mut custom = Settings::new(Kind::Poker);
    custom.scale = Scale::Custom(vec!["1".into(), "1".into()]);
    assert_eq!(
        Round::check_new(&custom, &[note("a")], None, 10),
        Err(RoundError::BadScale)
    );
    custom.scale = Scale::Custom(vec!["S".into(), "?".into()]);
    assert_eq!(
        Round::check_new(&custom, &[note("a")], None, 10),
        Err(RoundError::BadScale)
    );
    let ie = Settings::new(Kind::ImpactEffort);
    assert_eq!(
        Round::check_new(&ie, &[note("a")], Some([0.0, 0.0, f64::NAN, 1.0]), 10),
        Err(RoundError::BadArea)
    );
}

#[test]
fn tally_counts_spreads_and_medians() {
    let ballots = |pairs: Vec<(&str, Ballot)>| -> Vec<(String, Ballot)> {
        pairs.into_iter().map(|(n, b)| (n.to_owned(), b)).collect()
    };
    let dots = round(Settings::new(Kind::Dots), &["a", "b"]);
    let result = tally(
        &dots,
        &ballots(vec![
            (
                "Cy",
                ballot(&[("a", Choice::Dots(2)), ("b", Choice::Dots(1))]),
            ),
            ("Bo", ballot(&[("a", Choice::Dots(1))])),
            ("Al", Ballot::new()),
        ]),
        false,
    );
    assert_eq!(result.items["a"].votes, 3);
    assert_eq!(result.items["b"].votes, 1);
    assert_eq!(result.voters, 2, "an empty ballot is no vote");
    assert_eq!(result.participants, vec!["Bo", "Cy"]);

    let mut anon = Settings::new(Kind::FistToFive);
    anon.anonymous = true;
    let fist = round(anon, &["p"]);
    let result = tally(
        &fist,
        &ballots(vec![
            ("Al", ballot(&[("p", Choice::Fist(1))])),
            ("Bo", ballot(&[("p", Choice::Fist(4))])),
        ]),
        true,
    );
    let spread: Vec<u32> = (0..=5)
        .map(|v| result.items["p"].spread[&v.to_string()])
        .collect();
    assert_eq!(spread, vec![0, 1, 0, 0, 1, 0]);
    assert!(result.participants.is_empty() && result.ballots.is_empty());
    let json = serde_json::to_string(&result).unwrap();
    assert!(!json.contains("Al") && !json.contains("Bo"), "{json}");

    let poker = round(Settings::new(Kind::Poker), &["s"]);
    let card = |c: &str| ballot(&[("s", Choice::Card(c.into()))]);
    let result = tally(
        &poker,
        &ballots(vec![
            ("A", card("3")),
            ("B", card("13")),
            ("C", card("?")),
            ("D", card("5")),
        ]),
        false,
    );
    assert_eq!(result.items["s"].low.as_deref(), Some("3"));
    assert_eq!(result.items["s"].high.as_deref(), Some("13"));
    assert_eq!(result.items["s"].spread["?"], 1);

    let ie = round(Settings::new(Kind::ImpactEffort), &["n"]);
    let score = |i, e| {
        ballot(&[(
            "n",
            Choice::Score {
                impact: i,
                effort: e,
            },
        )])
    };
    let result = tally(
        &ie,
        &ballots(vec![
            ("A", score(1, 5)),
            ("B", score(4, 2)),
            ("C", score(5, 2)),
            ("D", score(2, 1)),
        ]),
        false,
    );
    let impact = result.items["n"].impact.unwrap();
    assert_eq!(
        (impact.median, impact.min, impact.max, impact.n),
        (3.0, 1, 5, 4)
    );
    assert_eq!(result.items["n"].effort.unwrap().median, 2.0);
}

#[test]
fn requests_round_trip_and_bad_ones_are_refused() {
    let req = Request {
        req: 7,
        cmd: Command::Cast {
            round: "r1".into(),
            ballot: ballot(&[("a", Choice::Dots(2))]),
        },
    };
    assert_eq!(Request::decode(&req.encode()), Ok(req));
    assert!(Request::decode(br#"{"req":1,"op":"reveal","round":""}"#).is_err());
    assert!(Request::decode(br#"{"req":1,"op":"explode"}"#).is_err());
    assert!(Request::decode(b"\xff\x00").is_err());
    let long = "x".repeat(MAX_ID_CHARS + 1);
    let json = format!(r#"{{"req":1,"op":"cast","round":"r","ballot":{{"{long}":{{"dots":1}}}}}}"#);
    assert_eq!(Request::decode(json.as_bytes()), Err(ProtocolError::BadId));
}

#[test]
fn results_live_in_the_document() {
    use crate::model::Board;
    let board = Board::with_client_id(1);
    let r = round(Settings::new(Kind::Dots), &["a"]);
    let mut result = tally(
        &r,
        &[("Al".into(), ballot(&[("a", Choice::Dots(2))]))],
        false,
    );
    result.round.status = Status::Revealed;
    result.round.closed_at = Some(5);
    let decision = Decision {
        id: "000001".into(),
        at: 9,
        by: "Al".into(),
        text: "Do a".into(),
        round: Some("r1".into()),
        kind: Some(Kind::Dots),
        result: result.summary(|_| "Note A".into()),
        participants: vec!["Al".into()],
        voters: 1,
        dissent: Vec::new(),
        corrects: None,
    };
    {
        let mut txn = board.transact_mut();
        board.write_round_result(&mut txn, &result);
        board.write_decision(&mut txn, &decision);
    }
    let snap = board.snapshot(&yrs::Transact::transact(board.doc()));
    assert_eq!(snap.rounds["r1"], result);
    assert_eq!(snap.decisions, vec![decision]);
    assert_eq!(snap.votes().get("a"), Some(&2));
    assert!(
        snap.decisions[0].result.contains("Note A (2)"),
        "{}",
        snap.decisions[0].result
    );
}
