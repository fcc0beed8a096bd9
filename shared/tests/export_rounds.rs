//! The exports of a board the team decided on: the golden fixture (`golden/board.json`) with
//! round results and decisions written into its document as the server writes them. Boards
//! without rounds are covered byte for byte by `golden.rs`; these tests check what rounds
//! add: dots on stories (Markdown and the CSV's `Votes` column), a "Results" and a
//! "Decisions" section, accepted estimates in `Story Points`, and that rounds and decisions
//! survive the JSON export and do not break its import.

use std::path::PathBuf;

use huddle_shared::export::{
    Format, Outline, board_json, parse_backlog, parse_board_json, restore_board, write_backlog,
};
use huddle_shared::model::{Board, BoardSnapshot, StoryFields};
use huddle_shared::rounds::{
    Ballot, Choice, Decision, Dissent, Kind, Round, RoundResult, Scale, Scope, Settings, Status,
    tally,
};
use yrs::Transact;

/// 2026-12-04 09:30 UTC, in milliseconds since the Unix epoch.
const NINE_THIRTY: u64 = 1_796_376_600_000;

/// The golden fixture in a fresh document.
fn fixture() -> Board {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/board.json");
    let text = std::fs::read_to_string(path).expect("fixture");
    let parsed = parse_board_json(&text).expect("fixture parses");
    let board = Board::with_client_id(7);
    let mut txn = board.transact_mut();
    restore_board(
        &board,
        &mut txn,
        &parsed,
        &parsed.meta.title,
        parsed.meta.created_at,
    )
    .expect("restore");
    drop(txn);
    board
}

fn round(id: &str, settings: Settings, targets: &[&str], closed_at: u64) -> Round {
    Round {
        id: id.into(),
        settings,
        targets: targets.iter().map(|t| (*t).to_owned()).collect(),
        scope: Scope::Selection,
        area: None,
        opened_by: "Ann".into(),
        opened_at: closed_at - 60_000,
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

/// Tallies and reveals `round` as the server does, and writes the result into `board`.
fn reveal(board: &Board, round: &Round, ballots: &[(&str, Ballot)]) -> RoundResult {
    let ballots: Vec<(String, Ballot)> = ballots
        .iter()
        .map(|(name, b)| ((*name).to_owned(), b.clone()))
        .collect();
    let mut result = tally(round, &ballots, false);
    result.round.status = Status::Revealed;
    result.round.closed_at = Some(round.opened_at + 60_000);
    board.write_round_result(&mut board.doc().transact_mut(), &result);
    result
}

fn snapshot(board: &Board) -> BoardSnapshot {
    board.snapshot(&board.doc().transact())
}

/// A dot vote on the MVP stories and the free note, a fist to five on the free note with
/// one dissent, an anonymous impact/effort round, and three decisions (the last corrects the
/// first).
fn decided() -> Board {
    let board = fixture();
    let dots = round(
        "r1",
        Settings::new(Kind::Dots),
        &["s1", "s2", "s3", "free"],
        NINE_THIRTY,
    );
    let d = |n| Choice::Dots(n);
    let dots_result = reveal(
        &board,
        &dots,
        &[
            ("Al", ballot(&[("s1", d(2)), ("s3", d(1))])),
            ("Bo", ballot(&[("s1", d(1)), ("free", d(2))])),
            ("Cy", ballot(&[("s1", d(3))])),
        ],
    );
    let fist = round(
        "r2",
        Settings::new(Kind::FistToFive),
        &["free"],
        NINE_THIRTY + 600_000,
    );
    let mut fist_result = reveal(
        &board,
        &fist,
        &[
            ("Al", ballot(&[("free", Choice::Fist(4))])),
            ("Bo", ballot(&[("free", Choice::Fist(1))])),
            ("Cy", ballot(&[("free", Choice::Fist(3))])),
            ("Di", ballot(&[("free", Choice::Fist(3))])),
        ],
    );
    fist_result.dissent.push(Dissent {
        name: Some("Bo".into()),
        text: "Show me the\nsupport numbers".into(),
        at: NINE_THIRTY + 700_000,
    });
    board.write_round_result(&mut board.doc().transact_mut(), &fist_result);
    let mut anonymous = Settings::new(Kind::ImpactEffort);
    anonymous.anonymous = true;
    let scoring = round("r3", anonymous, &["s4", "s5"], NINE_THIRTY + 1_200_000);
    let score = |impact, effort| Choice::Score { impact, effort };
    let scoring_result = reveal(
        &board,
        &scoring,
        &[
            ("Al", ballot(&[("s4", score(3, 1)), ("s5", score(5, 2))])),
            ("Bo", ballot(&[("s4", score(5, 3))])),
            ("Cy", ballot(&[("s4", score(4, 2))])),
        ],
    );
    let text_of = |id: &str| {
        snapshot(&board)
            .items
            .get(id)
            .map(|i| i.text.clone())
            .unwrap_or_default()
    };
    let decisions = [
        Decision {
            id: "000001".into(),
            at: NINE_THIRTY + 120_000,
            by: "Ann".into(),
            text: "Search by name goes first.".into(),
            round: Some("r1".into()),
            kind: Some(Kind::Dots),
            result: dots_result.summary(text_of),
            participants: dots_result.participants.clone(),
            voters: dots_result.voters,
            dissent: Vec::new(),
            corrects: None,
        },
        Decision {
            id: "000002".into(),
            at: NINE_THIRTY + 1_300_000,
            by: "Ann".into(),
            text: "Filter by price is a quick win.\n\nFix rounding waits.".into(),
            round: Some("r3".into()),
            kind: Some(Kind::ImpactEffort),
            result: scoring_result.summary(text_of),
            participants: Vec::new(),
            voters: scoring_result.voters,
            dissent: Vec::new(),
            corrects: None,
        },
        Decision {
            id: "000003".into(),
            at: NINE_THIRTY + 1_400_000,
            by: "Bo".into(),
            text: "Search by name and the parking lot go first.".into(),
            round: Some("r2".into()),
            kind: Some(Kind::FistToFive),
            result: fist_result.summary(text_of),
            participants: fist_result.participants.clone(),
            voters: fist_result.voters,
            dissent: fist_result.dissent.clone(),
            corrects: Some("000001".into()),
        },
    ];
    let mut txn = board.transact_mut();
    for decision in &decisions {
        board.write_decision(&mut txn, decision);
    }
    drop(txn);
    board
}

/// The part of `text` from the line `start` up to (not including) the next `## ` heading.
fn section<'a>(text: &'a str, start: &str) -> &'a str {
    let at = text
        .find(start)
        .unwrap_or_else(|| panic!("no {start:?} in:\n{text}"));
    let rest = &text[at..];
    let end = rest[start.len()..]
        .find("\n\n## ")
        .map_or(rest.len(), |e| e + start.len() + 1);
    &rest[..end]
}

#[test]
fn markdown_carries_votes_results_and_decisions() {
    let md = Format::Markdown.export(&snapshot(&decided()));
    // Dots on the stories of the map, from the dot vote; stories outside it have none.
    assert!(
        md.contains("- **Search by name #search** (SHOP-7 · 3 pt · Feature · Done · #search · for Shopper · 6 votes)\n"),
        "{md}"
    );
    assert!(
        md.contains("- **Search, \"fuzzy\" matching** (5 pt · Spike · In Progress · 0 votes)\n"),
        "{md}"
    );
    assert!(
        md.contains("- **Filter by price** (2 pt · Tech debt · To Do)\n"),
        "{md}"
    );
    assert_eq!(
        section(&md, "## Results"),
        "## Results

- **Search by name #search**: 6 votes
- **Not in the map**: 2 votes · Fist to five: 0:0 1:1 2:0 3:2 4:1 5:0; dissent: \"Show me the support numbers\" (Bo)
- **Pay by card #pay #mvp**: 1 vote
- **Search, \"fuzzy\" matching**: 0 votes
- **Filter by price**: Impact 4 (3-5), effort 2 (1-3)
- **Fix rounding**: Impact 5 (5-5), effort 2 (2-2)
"
    );
    assert_eq!(
        section(&md, "## Decisions"),
        "## Decisions

### Decision 1 · 2026-12-04 09:32 UTC

Search by name goes first.

- Recorded by Ann
- Dot vote: 3 voters; most dots: Search by name #search (6), Not in the map (2), Pay by card #pay #mvp (1)
- Took part: Al, Bo, Cy

### Decision 2 · 2026-12-04 09:51 UTC

Filter by price is a quick win.

Fix rounding waits.

- Recorded by Ann
- Impact/effort: 3 voters; Filter by price: impact 4 (3-5), effort 2 (1-3); Fix rounding: impact 5 (5-5), effort 2 (2-2)
- Took part: 3 people, anonymous

### Decision 3 · 2026-12-04 09:53 UTC

Search by name and the parking lot go first.

- Recorded by Bo
- Corrects decision 1
- Fist to five: 4 voters; fingers 0: 0, 1: 1, 2: 0, 3: 2, 4: 1, 5: 0
- Took part: Al, Bo, Cy, Di
- Dissent: \"Show me the support numbers\" (Bo)
"
    );
    // The maps come first, unchanged in shape; the sections follow them.
    assert!(md.find("## Checkout") < md.find("## Results"));
    assert!(md.find("## Results") < md.find("## Decisions"));
}

#[test]
fn a_rerun_replaces_the_earlier_result_and_anonymous_dissent_has_no_name() {
    let board = fixture();
    let mut anonymous = Settings::new(Kind::FistToFive);
    anonymous.anonymous = true;
    let first = round("r1", anonymous.clone(), &["free"], NINE_THIRTY);
    reveal(
        &board,
        &first,
        &[("Al", ballot(&[("free", Choice::Fist(0))]))],
    );
    let mut again = round("r2", anonymous, &["free"], NINE_THIRTY + 600_000);
    again.rerun_of = Some("r1".into());
    let mut result = reveal(
        &board,
        &again,
        &[
            ("Al", ballot(&[("free", Choice::Fist(2))])),
            ("Bo", ballot(&[("free", Choice::Fist(5))])),
        ],
    );
    result.dissent.push(Dissent {
        name: None,
        text: "Only with a rollback plan".into(),
        at: NINE_THIRTY + 700_000,
    });
    board.write_round_result(&mut board.doc().transact_mut(), &result);
    let md = Format::Markdown.export(&snapshot(&board));
    assert_eq!(
        section(&md, "## Results"),
        "## Results

- **Not in the map**: Fist to five: 0:0 1:0 2:1 3:0 4:0 5:1; dissent: \"Only with a rollback plan\" (anonymous)
"
    );
    assert!(!md.contains("## Decisions"), "{md}");
    assert!(!md.contains("Al") && !md.contains("Bo"), "{md}");
}

#[test]
fn csv_carries_votes_in_their_own_column_and_imports_back() {
    let board = snapshot(&decided());
    let csv = Format::Csv.export(&board);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].ends_with(",Map Steps,Map Slices,Issue key,Votes,Labels,Labels"),
        "{}",
        lines[0]
    );
    // Each story row: ... Rank, Map Steps, Map Slices, Issue key, Votes, Labels, Labels.
    for row in [
        "Results show as I type.\",3,Done,MVP,Search,1,,Browse,1,Shopper,3,,,SHOP-7,6,search,\n",
        "\n5,Story,Pay by card,\"Visa, Mastercard\",8,To Do,MVP,Card,1,,Pay,2,,5,,,,1,pay,mvp\n",
        // Voted on with no dots, and not voted on at all, read differently.
        "\n4,Spike,\"Search, \"\"fuzzy\"\" matching\",,5,In Progress,MVP,Search,1,,Browse,1,,4,,,,0,,\n",
        "\n6,Tech debt,Filter by price,,2,To Do,Release 2,Filter,2,,Browse,1,,6,,,,,,\n",
        // Epic rows carry no votes.
        "\nRelease 2\nLater\",,,,\n2,Epic,Pay,",
    ] {
        assert!(csv.contains(row), "{row:?} not in\n{csv}");
    }
    // Huddle's own import skips the column: the map comes back equal.
    let backlog = parse_backlog(&csv).expect("our own CSV parses");
    let copy = Board::with_client_id(8);
    let mut txn = copy.transact_mut();
    let original = &Outline::all(&board)[0];
    write_backlog(
        &copy,
        &mut txn,
        &backlog,
        &original.title,
        [0.0, 0.0],
        "",
        0.0,
    )
    .expect("write");
    assert_eq!(&Outline::all(&copy.snapshot(&txn))[0], original);
}

#[test]
fn an_accepted_estimate_lands_in_story_points() {
    let board = fixture();
    let mut settings = Settings::new(Kind::Poker);
    settings.scale = Scale::TShirt;
    let poker = round("r1", settings, &["s6"], NINE_THIRTY);
    let mut result = reveal(
        &board,
        &poker,
        &[
            ("Al", ballot(&[("s6", Choice::Card("M".into()))])),
            ("Bo", ballot(&[("s6", Choice::Card("L".into()))])),
        ],
    );
    // The server records the accepted card; the facilitator's page writes its points into
    // the story (L is 5 points).
    result.accepted.insert("s6".into(), "L".into());
    board.write_round_result(&mut board.doc().transact_mut(), &result);
    let points = Scale::TShirt
        .card("L")
        .and_then(|c| c.points)
        .expect("L has points");
    let fields = StoryFields {
        estimate: Some(points),
        ..StoryFields::default()
    };
    board
        .set_story_fields(&mut board.transact_local(), "s6", &fields)
        .expect("estimate");
    let snap = snapshot(&board);
    let csv = Format::Csv.export(&snap);
    assert!(
        csv.contains("\n8,Story,Loose idea,,5,To Do,,Unsorted,1,"),
        "{csv}"
    );
    // No dot vote: no Votes column.
    assert!(!csv.contains("Votes"), "{csv}");
    let md = Format::Markdown.export(&snap);
    assert!(
        md.contains("- **Loose idea** (5 pt · Feature · To Do)\n"),
        "{md}"
    );
}

#[test]
fn json_export_keeps_rounds_and_decisions_and_import_takes_the_board_without_them() {
    let original = snapshot(&decided());
    assert_eq!(original.rounds.len(), 3);
    assert_eq!(original.decisions.len(), 3);
    let json = board_json(&original);
    assert!(json.contains("\"rounds\"") && json.contains("\"decisions\""));
    // The file reads back into the same snapshot, and writes back into the same bytes.
    let parsed = parse_board_json(&json).expect("our own JSON parses");
    assert_eq!(parsed, original);
    assert_eq!(board_json(&parsed), json);
    // Importing makes a new board: its items come back; its rounds and decisions do not (a
    // new board starts its own log, and only the server writes results).
    let copy = Board::with_client_id(9);
    let mut txn = copy.transact_mut();
    restore_board(&copy, &mut txn, &parsed, "Copy", 5.0).expect("import");
    let back = copy.snapshot(&txn);
    assert_eq!(back.items, original.items);
    assert!(back.rounds.is_empty() && back.decisions.is_empty());
}
