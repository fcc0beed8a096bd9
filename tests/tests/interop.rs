//! A stock JavaScript Yjs client (npm `yjs` + `y-websocket`) and a Rust client edit one board
//! through Huddle and converge.

use std::collections::BTreeMap;

use huddle_shared::model::{ItemSnapshot, NewNote};
use huddle_tests::client::Client;
use huddle_tests::js;
use huddle_tests::server::TestServer;
use serde_json::json;

fn items_of(dump: &serde_json::Value) -> BTreeMap<String, ItemSnapshot> {
    serde_json::from_value(dump["items"].clone()).expect("JS dump items have the board schema")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn js_and_rust_clients_converge() {
    let (server, _data) = TestServer::start().expect("server");
    let rust = Client::join(&server.ws_url("interop"))
        .await
        .expect("rust client");
    let rust_note = rust.edit(|b, txn| {
        b.create_note(
            txn,
            NewNote {
                pos: [10.0, 20.0],
                text: "from rust".into(),
                ..Default::default()
            },
        )
        .expect("create")
    });
    rust.save().await.expect("saved");

    // The JS peer sees the Rust note, edits it, adds its own, and reports the board.
    let out = js::run(
        &server.ws_base(),
        "interop",
        Some(server.admin_key()),
        json!([
            {"op": "wait_synced"},
            {"op": "wait_for", "items": 1},
            {"op": "insert_text", "id": rust_note, "index": 0, "text": "hello "},
            {"op": "move", "id": rust_note, "x": 300, "y": 400},
            {"op": "create_note", "id": "js-note", "x": 5, "y": 6, "text": "from js", "color": "blue"},
            {"op": "set_awareness", "state": {"user": {"name": "JS"}}},
            {"op": "dump"}
        ]),
    )
    .await
    .expect("JS peer");
    let js_items = items_of(&out[0]);
    assert_eq!(js_items[&rust_note].text, "hello from rust");
    assert_eq!(js_items[&rust_note].pos, [300.0, 400.0]);

    // The Rust client converges to exactly what JS saw.
    let board = rust
        .wait_until(|b| b.items == js_items)
        .await
        .expect("rust converges to the JS view");
    assert_eq!(board.items["js-note"].color, "blue");

    // Rust edits the JS note; a fresh JS client (new process) sees the merged board.
    rust.edit(|b, txn| b.insert_text(txn, "js-note", 7, " and rust").expect("text"));
    rust.save().await.expect("saved");
    let out = js::run(
        &server.ws_base(),
        "interop",
        Some(server.admin_key()),
        json!([{"op": "wait_synced"}, {"op": "wait_for_text", "id": "js-note", "text": "from js and rust"}, {"op": "dump"}]),
    )
    .await
    .expect("second JS peer");
    assert_eq!(items_of(&out[0]), rust.snapshot().items);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn js_client_sees_rust_awareness() {
    let (server, _data) = TestServer::start().expect("server");
    let rust = Client::join(&server.ws_url("aware"))
        .await
        .expect("rust client");
    rust.set_awareness(json!({"user": {"name": "Rusty", "color": "#0a0"}}))
        .unwrap();
    let out = js::run(
        &server.ws_base(),
        "aware",
        Some(server.admin_key()),
        json!([
            {"op": "wait_synced"},
            {"op": "set_awareness", "state": {"user": {"name": "JS"}}},
            {"op": "wait_for_awareness", "count": 1},
            {"op": "dump_awareness"}
        ]),
    )
    .await
    .expect("JS peer");
    // As the Rust client sent it, plus the person id the server adds to a `user` without one.
    let user = &out[0][0]["user"];
    assert_eq!(out[0].as_array().map(Vec::len), Some(1), "{}", out[0]);
    assert_eq!(
        (&user["name"], &user["color"]),
        (&json!("Rusty"), &json!("#0a0"))
    );
    let id = user["id"].as_str().unwrap_or_default();
    assert!(
        huddle_shared::access::is_valid_person_id(id),
        "no person id in {user}"
    );
    // And the Rust client saw the JS peer come and go (no ghost after its process ended).
    rust.wait_peers(|p| p.is_empty())
        .await
        .expect("JS peer's state removed");
}
