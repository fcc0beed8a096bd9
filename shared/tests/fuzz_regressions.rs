//! Every input a fuzzer found (`cargo xtask fuzz`), replayed through the same checks as its
//! target (`fuzz_checks`), so that CI keeps each fixed bug fixed without running a fuzzer.
//! Inputs live in `tests/fuzz_regressions/<target>/`; a handful of hand-made tricky inputs
//! sit beside them.

mod fuzz_checks;

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_regressions")
        .join(target);
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        let data = std::fs::read(&path).expect("a regression input");
        check(&data);
        replayed += 1;
    }
    assert!(replayed > 0, "no inputs in {}", dir.display());
}

#[test]
fn wire_frame() {
    replay("wire_frame", fuzz_checks::wire_frame);
}

#[test]
fn update_validator() {
    replay("update_validator", fuzz_checks::update_validator);
}

#[test]
fn awareness() {
    replay("awareness", fuzz_checks::awareness);
}

#[test]
fn csv_import() {
    replay("csv_import", fuzz_checks::csv_import);
}

#[test]
fn json_import() {
    replay("json_import", fuzz_checks::json_import);
}

#[test]
fn access() {
    replay("access", fuzz_checks::access);
}

#[test]
fn rounds() {
    replay("rounds", fuzz_checks::rounds);
}

#[test]
fn facilitation() {
    replay("facilitation", fuzz_checks::facilitation);
}

#[test]
fn locks() {
    replay("locks", fuzz_checks::locks);
}
