//! An update that yrs refuses midway, after integrating its first blocks, leaves nothing
//! behind: the sender is closed, the board is reloaded from storage, and no client ever sees
//! the part that got in.

use huddle_shared::model::NewNote;
use huddle_shared::wire;
use huddle_tests::client::Client;
use huddle_tests::crafted::{SCRATCH, partly_valid_update};
use huddle_tests::server::TestServer;
use yrs::{Map, Transact};

/// Client id of the crafted update (any id no real client uses).
const MALLORY: u64 = 4242;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partly_applied_update_is_dropped_with_a_reload() {
    let (server, _data) = TestServer::start().expect("server");
    let url = server.ws_url("partial");
    let alice = Client::join(&url).await.expect("alice");
    alice.edit(|b, txn| {
        b.create_note(
            txn,
            NewNote {
                text: "kept".into(),
                ..Default::default()
            },
        )
        .expect("create")
    });
    alice.save().await.expect("saved");

    // Sanity: yrs really does apply the first block and then refuse the second.
    {
        let doc = yrs::Doc::new();
        let update = wire::decode_update(&partly_valid_update(MALLORY)).expect("decodes");
        let mut txn = doc.transact_mut();
        assert!(
            txn.apply_update(update).is_err(),
            "yrs accepted the crafted update"
        );
        drop(txn);
        let scratch = doc.get_or_insert_map(SCRATCH);
        assert_eq!(
            scratch.len(&doc.transact()),
            1,
            "yrs did not apply the first block: the test is moot"
        );
    }

    let mallory = Client::join(&url).await.expect("mallory");
    mallory.send_raw(wire::encode_update(&partly_valid_update(MALLORY)));
    let (code, reason) = mallory.closed().await.expect("mallory closed");
    assert_eq!(code, 1007, "{reason}");
    // The room reloads: everyone else reconnects and resyncs.
    let (code, reason) = alice.closed().await.expect("alice closed by the reload");
    assert_eq!(code, 1011, "{reason}");

    let fresh = Client::join(&url).await.expect("fresh");
    fresh.save().await.expect("saved");
    let scratch = fresh.board.doc().get_or_insert_map(SCRATCH);
    assert_eq!(
        scratch.len(&fresh.board.doc().transact()),
        0,
        "part of the refused update reached a client"
    );
    let board = fresh.snapshot();
    assert_eq!(
        board
            .items
            .values()
            .map(|i| i.text.as_str())
            .collect::<Vec<_>>(),
        ["kept"]
    );
}
