//! Unit tests of [`Replica`](super::Replica): recognising, timing and ordering edits.

use super::*;
use crate::fixtures::board_with_notes;

/// Both ways of applying live updates: every test runs with each.
const MODES: [Apply; 2] = [Apply::Now, Apply::Later];

/// Two participants of one board, both synced with a 3-note board.
fn pair(apply: Apply) -> (Ledger, Replica, Replica) {
    let ledger = Ledger::new(2);
    let (_, state) = board_with_notes(3);
    let step2 = wire::encode_sync_step2(&state);
    let (mut a, mut b) = (Replica::new(0, 0..2, apply), Replica::new(1, 0..2, apply));
    for r in [&mut a, &mut b] {
        let got = r.on_frame(&step2, 0, &ledger).expect("seed");
        assert!(got.synced && got.delivered == 0);
    }
    (ledger, a, b)
}

#[test]
fn an_edit_is_recognised_and_timed_at_the_receiver() {
    for mode in MODES {
        let (ledger, mut a, mut b) = pair(mode);
        for text in [false, true, false] {
            let frame = a.edit(text, &ledger).expect("edit");
            let got = b.on_frame(&frame, ledger.now_ns(), &ledger).expect("apply");
            assert_eq!(got.delivered, 1);
        }
        assert_eq!(b.held[0], 3);
        assert_eq!(b.stats.edit_latency_us.len(), 3);
        assert!(b.stats.errors.is_empty(), "{:?}", b.stats.errors);
        let cursor = a.cursor(&ledger);
        b.on_frame(&cursor, ledger.now_ns(), &ledger)
            .expect("cursor");
        assert_eq!(b.stats.cursors, 1);
        // A cursor already seen is not counted again.
        b.on_frame(&cursor, ledger.now_ns(), &ledger)
            .expect("cursor");
        assert_eq!(b.stats.cursors, 1);
        b.settle().expect("settle");
        assert_eq!(
            b.board.snapshot(&b.board.doc().transact()),
            a.board.snapshot(&a.board.doc().transact()),
            "{mode:?}"
        );
    }
}

#[test]
fn updates_kept_for_later_are_integrated_before_a_resync() {
    let (ledger, mut a, mut b) = pair(Apply::Later);
    let first = a.edit(false, &ledger).expect("edit");
    b.on_frame(&first, ledger.now_ns(), &ledger).expect("apply");
    let _lost = a.edit(true, &ledger).expect("edit");
    // Not yet integrated: B's document still lacks A's first move.
    assert_ne!(
        b.board.snapshot(&b.board.doc().transact()),
        a.board.snapshot(&a.board.doc().transact())
    );
    let sv = b.board.doc().transact().state_vector();
    let update = a.board.doc().transact().encode_state_as_update_v1(&sv);
    let got = b
        .on_frame(&wire::encode_sync_step2(&update), ledger.now_ns(), &ledger)
        .expect("resync");
    assert_eq!((got.delivered, b.held[0]), (1, 2));
    assert!(b.stats.errors.is_empty(), "{:?}", b.stats.errors);
    assert_eq!(
        b.board.snapshot(&b.board.doc().transact()),
        a.board.snapshot(&a.board.doc().transact())
    );
}

#[test]
fn a_skipped_edit_is_an_error_and_a_resync_repairs_it() {
    for mode in MODES {
        skipped_edit(mode);
    }
}

fn skipped_edit(mode: Apply) {
    let (ledger, mut a, mut b) = pair(mode);
    let _lost = a.edit(false, &ledger).expect("edit");
    let second = a.edit(false, &ledger).expect("edit");
    let got = b
        .on_frame(&second, ledger.now_ns(), &ledger)
        .expect("apply");
    assert_eq!(got.delivered, 0);
    assert_eq!(b.stats.error_count, 1, "the gap must be reported");
    // yrs integrates the later move anyway (its dependencies are there) and leaves a hole
    // in A's clocks; only the ledger's order check sees that something was skipped.
    assert_eq!(b.held[0], 0);

    let sv = b.board.doc().transact().state_vector();
    let update = a.board.doc().transact().encode_state_as_update_v1(&sv);
    let got = b
        .on_frame(&wire::encode_sync_step2(&update), ledger.now_ns(), &ledger)
        .expect("resync");
    assert_eq!((got.delivered, b.held[0], b.stats.resynced), (2, 2, 2));
    assert_eq!(
        b.board.snapshot(&b.board.doc().transact()),
        a.board.snapshot(&a.board.doc().transact())
    );
}

#[test]
fn an_update_ahead_of_a_new_connections_sync_is_not_an_error() {
    for mode in MODES {
        update_ahead(mode);
    }
}

fn update_ahead(mode: Apply) {
    let (ledger, mut a, mut b) = pair(mode);
    let _carried_by_step2 = a.edit(false, &ledger).expect("edit");
    let ahead = a.edit(false, &ledger).expect("edit");
    b.connection_opened();
    let got = b.on_frame(&ahead, ledger.now_ns(), &ledger).expect("apply");
    assert_eq!((got.delivered, b.stats.before_sync), (0, 1));
    assert!(b.stats.errors.is_empty(), "{:?}", b.stats.errors);
    let sv = b.board.doc().transact().state_vector();
    let update = a.board.doc().transact().encode_state_as_update_v1(&sv);
    let step2 = wire::encode_sync_step2(&update);
    let got = b.on_frame(&step2, ledger.now_ns(), &ledger).expect("sync");
    assert_eq!((got.delivered, b.held[0]), (2, 2));
    // After the step 2, the same gap is an error again.
    let _skipped = a.edit(false, &ledger).expect("edit");
    let later = a.edit(false, &ledger).expect("edit");
    b.on_frame(&later, ledger.now_ns(), &ledger).expect("apply");
    assert_eq!(b.stats.error_count, 1);
}

/// The server's write of a revealed round's result (issue 12), as the room makes it: by the
/// server's own client, on a replica of the same board.
fn result_write(state: &[u8], round: &str) -> Vec<u8> {
    use huddle_shared::rounds::{self, Kind, Round, Scope, Settings, Status};
    let server = Board::with_client_id(42);
    let update = wire::decode_update(state).expect("state");
    server
        .doc()
        .transact_mut()
        .apply_update(update)
        .expect("apply");
    let round = Round {
        id: round.to_owned(),
        settings: Settings::new(Kind::Dots),
        targets: vec!["n1".into()],
        scope: Scope::Selection,
        area: None,
        opened_by: "bench".into(),
        opened_at: 1,
        status: Status::Revealed,
        closed_at: Some(2),
        rerun_of: None,
    };
    let result = rounds::tally(&round, &[], false);
    let mut txn = server.transact_mut();
    server.write_round_result(&mut txn, &result);
    wire::encode_update(&txn.encode_update_v1())
}

#[test]
fn the_servers_result_write_is_counted_and_timed_and_a_strangers_edit_is_not() {
    for mode in MODES {
        let (ledger, _, mut b) = pair(mode);
        let (_, state) = board_with_notes(3);
        let frame = result_write(&state, "round-1");
        b.on_frame(&frame, 7_000, &ledger).expect("apply");
        b.settle().expect("settle");
        assert_eq!(b.stats.server_writes, 1, "{mode:?}");
        assert_eq!(b.stats.results_at_ns, Some(7_000));
        assert!(b.stats.errors.is_empty(), "{:?}", b.stats.errors);
        let results = b.board.round_results(&b.board.doc().transact());
        assert!(results.contains_key("round-1"));
        // Someone outside the board moving a note is still an error.
        let mut stranger = Replica::new(5, 5..6, Apply::Now);
        stranger
            .on_frame(&wire::encode_sync_step2(&state), 0, &Ledger::new(6))
            .expect("seed");
        let outsider = stranger.edit(false, &Ledger::new(6)).expect("edit");
        b.on_frame(&outsider, 8_000, &ledger).expect("apply");
        b.settle().expect("settle");
        assert_eq!(b.stats.server_writes, 1);
        assert_eq!(b.stats.error_count, 1, "{mode:?}");
    }
}
