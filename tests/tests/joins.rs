//! Fresh clients (nothing yet, an empty state vector) are answered with the room's cached
//! encoding of the whole board while the board is unchanged; any update must retire it.
//! Small boards are not cached, so the board here is big.

use huddle_server::room::FULL_SYNC_CACHE_MIN_BYTES;
use huddle_shared::model::NewNote;
use huddle_tests::client::Client;
use huddle_tests::http;
use huddle_tests::server::TestServer;
use yrs::{ReadTxn, StateVector, Transact};

/// Notes of a few hundred bytes each: well over the size the server starts caching at.
const NOTES: usize = 400;

fn note(text: &str, x: f64) -> NewNote {
    NewNote {
        pos: [x, 0.0],
        text: text.into(),
        ..NewNote::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fresh_joins_reuse_the_full_sync_until_the_board_changes() {
    let (server, _data) = TestServer::start().expect("server");
    let url = server.ws_url("joins");
    let cached = || http::metric(server.addr(), "huddle_full_syncs_cached_total");

    // Big enough for the room to keep its encoding (it does not for small boards).
    let writer = Client::join(&url).await.expect("join");
    writer.edit(|b, txn| {
        for i in 0..NOTES {
            b.create_note(
                txn,
                note(&format!("story {i}: {}", "words ".repeat(20)), i as f64),
            )
            .expect("create");
        }
    });
    writer.save().await.expect("saved");
    let size = writer
        .board
        .doc()
        .transact()
        .encode_state_as_update_v1(&StateVector::default())
        .len();
    assert!(
        size > FULL_SYNC_CACHE_MIN_BYTES,
        "the board ({size} bytes) is too small for the test"
    );

    // Fresh joins in a row: once one has made the encoding, the next is served from it (the
    // room drops an unused cache on its 1 s tick, so a tick between two joins may cost a hit;
    // a few joins within milliseconds cannot all fall on ticks).
    let before = cached().await.expect("metric");
    let mut fresh = Vec::new();
    while fresh.len() < 5 && cached().await.expect("metric") == before {
        let client = Client::join(&url).await.expect("join");
        assert_eq!(client.snapshot(), writer.snapshot());
        fresh.push(client);
    }
    assert!(
        cached().await.expect("metric") > before,
        "{} fresh joins in a row, and none was served from the cache",
        fresh.len()
    );

    // A change retires the cache: the next fresh client sees it.
    let second = writer.edit(|b, txn| b.create_note(txn, note("second", 300.0)).expect("create"));
    writer.save().await.expect("saved");
    let c = Client::join(&url).await.expect("join c");
    assert!(
        c.snapshot().items.contains_key(&second),
        "a fresh client joining after an update got a stale board"
    );
    assert_eq!(c.snapshot(), writer.snapshot());

    // And the new state is cached in turn.
    let d = Client::join(&url).await.expect("join d");
    assert_eq!(d.snapshot(), writer.snapshot());
    for client in fresh.into_iter().chain([writer, c, d]) {
        client.close().await;
    }
}
