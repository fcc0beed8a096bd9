//! An update that yrs refuses midway, after integrating its first blocks, leaves nothing
//! behind: the sender is closed, the board is reloaded from storage, and no client ever sees
//! the part that got in. An update that needs changes the board does not have (yrs would keep
//! it waiting) is refused before it is applied: the sender is closed and resyncs, no one else
//! is disturbed.

use huddle_shared::model::NewNote;
use huddle_shared::wire;
use huddle_tests::client::Client;
use huddle_tests::crafted::{SCRATCH, partly_valid_update};
use huddle_tests::refusal::{add_note, metric, texts};
use huddle_tests::server::TestServer;
use yrs::updates::decoder::Decode;
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

/// A note made in `client`'s copy and not sent; its update.
fn unsent_note(client: &Client, text: &str) -> (String, Vec<u8>) {
    let mut txn = client.board.transact_mut();
    let note = NewNote {
        text: text.into(),
        ..Default::default()
    };
    let id = client.board.create_note(&mut txn, note).expect("create");
    (id, txn.encode_update_v1())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_that_needs_what_the_board_lacks_is_refused() {
    let (server, _data) = TestServer::start().expect("server");
    let url = server.ws_url("waiting");
    let alice = Client::join(&url).await.expect("alice");
    add_note(&alice, "kept");
    alice.save().await.expect("saved");
    let refused_before = metric(&server, "huddle_rejected_messages_total")
        .await
        .expect("metric");

    // A gap: Mallory's second note, without her first (the clocks it follows).
    let mallory = Client::join(&url).await.expect("mallory");
    let _ = unsent_note(&mallory, "first");
    let (_, second) = unsent_note(&mallory, "second");
    mallory.send_update(&second);
    let (code, reason) = mallory.closed().await.expect("mallory closed");
    assert_eq!(code, 1007, "{reason}");
    assert!(reason.contains("resync"), "{reason}");

    // A reference: Carol writes into a note of Bo's that only she has (Bo never sent it).
    let bo = Client::join(&url).await.expect("bo");
    let (bos_note, bos_update) = unsent_note(&bo, "bo's");
    let carol = Client::join(&url).await.expect("carol");
    {
        let update = yrs::Update::decode_v1(&bos_update).expect("decodes");
        carol
            .board
            .doc()
            .transact_mut()
            .apply_update(update)
            .expect("applies");
    }
    carol.edit(|b, txn| b.insert_text(txn, &bos_note, 0, "carol on ").expect("text"));
    let (code, reason) = carol.closed().await.expect("carol closed");
    assert_eq!(code, 1007, "{reason}");
    assert!(reason.contains("does not have"), "{reason}");

    // No one else was disturbed (no reload) and nothing of either got in.
    add_note(&alice, "after");
    alice.save().await.expect("alice is still connected");
    let fresh = Client::join(&url).await.expect("fresh");
    assert_eq!(
        texts(&fresh.snapshot()),
        ["after", "kept"].map(str::to_owned).into()
    );
    let refused_after = metric(&server, "huddle_rejected_messages_total")
        .await
        .expect("metric");
    assert_eq!(refused_after - refused_before, 2.0);

    // Once it has what it needs (Bo's note), the same change goes through.
    bo.send_update(&bos_update);
    bo.save().await.expect("bo saved");
    let carol = Client::connect_with(&url, carol.board.clone())
        .await
        .expect("carol again");
    carol.wait_synced().await.expect("carol synced");
    carol.save().await.expect("carol's step 2 saved");
    fresh
        .wait_until(|b| texts(b).contains("carol on bo's"))
        .await
        .expect("carol's change arrives");
}
