//! Golden-file tests of the exports: a fixture board with fixed ids (`golden/board.json`) is
//! imported into a real document through the model, and its Markdown, CSV and JSON exports
//! are compared byte for byte with `golden/expected.{md,csv,json}`.
//!
//! After an intended change of format, rewrite the expected files and review the diff:
//!
//! ```sh
//! UPDATE_GOLDEN=1 cargo test -p huddle-shared --test golden
//! git diff shared/tests/golden
//! ```

use std::path::PathBuf;

use huddle_shared::export::{
    Format, Outline, parse_backlog, parse_board_json, restore_board, write_backlog,
};
use huddle_shared::model::{Board, BoardSnapshot};

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// The fixture, written into a fresh document and read back (so the exports see exactly
/// what a stored board would give them).
fn fixture() -> BoardSnapshot {
    let text = std::fs::read_to_string(golden("board.json")).expect("fixture");
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
    board.snapshot(&txn)
}

fn check(format: Format, expected: &str) {
    let actual = format.export(&fixture());
    let path = golden(expected);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &actual).expect("write golden file");
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} missing: run with UPDATE_GOLDEN=1", path.display()));
    assert!(
        actual == want,
        "{} differs from the export; if the change is intended, run with UPDATE_GOLDEN=1.\n--- export ---\n{actual}",
        path.display()
    );
}

#[test]
fn markdown_export_matches_its_golden_file() {
    check(Format::Markdown, "expected.md");
}

#[test]
fn csv_export_matches_its_golden_file() {
    check(Format::Csv, "expected.csv");
}

#[test]
fn json_export_matches_its_golden_file_and_the_fixture() {
    check(Format::Json, "expected.json");
    // The fixture is itself an export: importing and exporting it changes nothing.
    let file = std::fs::read_to_string(golden("board.json")).expect("fixture");
    assert_eq!(Format::Json.export(&fixture()), file);
}

#[test]
fn csv_export_imports_back_into_an_equal_map() {
    let board = fixture();
    let csv = Format::Csv.export(&board);
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
    let back = Outline::all(&copy.snapshot(&txn));
    assert_eq!(back.len(), 1);
    assert_eq!(&back[0], original);
}
