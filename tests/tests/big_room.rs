//! A big room: at 100 people and more the server gathers each connection's writes over a
//! short linger (20 µs per person, 10 ms at most; see `server/src/room/fanout.rs`). Nothing
//! may be lost, reordered or held back by it: a burst reaches everyone, and so does a lone
//! edit after a quiet spell, and a room that shrinks back below 100 still delivers.

use std::time::Duration;

use futures_util::future::try_join_all;
use huddle_shared::model::NewNote;
use huddle_tests::client::Client;
use huddle_tests::server::TestServer;

/// Above the 100 people from which the server lingers.
const PEOPLE: usize = 120;
const BURST: usize = 30;

fn note(i: usize) -> NewNote {
    NewNote {
        pos: [i as f64 * 10.0, 0.0],
        text: format!("note {i}"),
        ..NewNote::default()
    }
}

/// Waits until every client holds exactly `notes` notes, and all hold the same board.
async fn everyone_holds(clients: &[Client], notes: usize) {
    try_join_all(
        clients
            .iter()
            .map(|c| c.wait_until(move |s| s.items.len() == notes)),
    )
    .await
    .unwrap_or_else(|e| panic!("not everyone got the {notes} notes: {e:#}"));
    let first = clients[0].snapshot();
    for (i, c) in clients.iter().enumerate() {
        assert_eq!(c.snapshot(), first, "client {i} holds another board");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_big_room_delivers_bursts_and_lone_edits_to_everyone() {
    let (server, _data) = TestServer::start().expect("server");
    let url = server.ws_url("big-room");
    let mut clients = try_join_all((0..PEOPLE).map(|_| Client::join(&url)))
        .await
        .expect("everyone joins");

    // A burst: many edits from several people within a few milliseconds, each its own frame.
    for i in 0..BURST {
        clients[i % 7].edit(|b, txn| b.create_note(txn, note(i)).expect("create"));
    }
    everyone_holds(&clients, BURST).await;

    // A lone edit after a quiet spell longer than any linger must still go out.
    tokio::time::sleep(Duration::from_millis(200)).await;
    clients[PEOPLE - 1].edit(|b, txn| b.create_note(txn, note(BURST)).expect("create"));
    everyone_holds(&clients, BURST + 1).await;

    // Shrink the room below 100: the rest are written at once again, and still get it all.
    for c in clients.drain(30..) {
        c.close().await;
    }
    clients[3].edit(|b, txn| b.create_note(txn, note(BURST + 1)).expect("create"));
    everyone_holds(&clients, BURST + 2).await;
    clients[0].save().await.expect("saved");
}
