//! Awareness is relayed, sent to late joiners, and removed when a connection goes.

use huddle_tests::client::Client;
use huddle_tests::server::TestServer;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awareness_is_relayed_and_cleaned_up() {
    let (server, _data) = TestServer::start().expect("server");
    let url = server.ws_url("presence");
    let ada = Client::join(&url).await.expect("ada");
    let bob = Client::join(&url).await.expect("bob");
    ada.set_awareness(json!({"user": {"name": "Ada", "color": "#f00"}}))
        .unwrap();
    bob.wait_peers(|p| p == [json!({"user": {"name": "Ada", "color": "#f00"}})])
        .await
        .expect("bob sees ada");

    // A late joiner gets the current states on join.
    let cy = Client::join(&url).await.expect("cy");
    cy.wait_peers(|p| p.len() == 1).await.expect("cy sees ada");

    // A polite close and a dropped connection both remove the state everywhere.
    bob.set_awareness(json!({"user": {"name": "Bob"}})).unwrap();
    cy.wait_peers(|p| p.len() == 2).await.expect("cy sees both");
    ada.close().await;
    cy.wait_peers(|p| p == [json!({"user": {"name": "Bob"}})])
        .await
        .expect("ada's cursor is gone");
    bob.abort();
    cy.wait_peers(|p| p.is_empty())
        .await
        .expect("bob's cursor is gone after a dropped connection");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_can_move_or_remove_someone_elses_cursor() {
    use std::collections::HashMap;
    use std::sync::Arc;

    use huddle_shared::wire;
    use yrs::block::ClientID;
    use yrs::sync::awareness::{AwarenessUpdate, AwarenessUpdateEntry};

    let (server, _data) = TestServer::start().expect("server");
    let url = server.ws_url("spoof");
    let ada = Client::join(&url).await.expect("ada");
    let mallory = Client::join(&url).await.expect("mallory");
    let watcher = Client::join(&url).await.expect("watcher");
    ada.set_awareness(json!({"user": {"name": "Ada"}})).unwrap();
    watcher
        .wait_peers(|p| p == [json!({"user": {"name": "Ada"}})])
        .await
        .expect("watcher sees ada");

    // Mallory claims Ada's client id: first with a newer state, then with a removal.
    let forged = |json: &str| {
        let mut clients = HashMap::new();
        clients.insert(
            ClientID::new(ada.client_id()),
            AwarenessUpdateEntry {
                clock: 1_000,
                json: Arc::from(json),
            },
        );
        wire::encode_awareness(&AwarenessUpdate { clients })
    };
    mallory.send_raw(forged(r#"{"user":{"name":"Mallory"}}"#));
    mallory.send_raw(forged("null"));
    // Mallory's own cursor still works, and is the only change the watcher sees.
    mallory
        .set_awareness(json!({"user": {"name": "M"}}))
        .unwrap();
    let peers = watcher
        .wait_peers(|p| p.len() == 2)
        .await
        .expect("watcher sees mallory's own cursor");
    assert_eq!(
        peers,
        [
            json!({"user": {"name": "Ada"}}),
            json!({"user": {"name": "M"}})
        ]
    );
    // And a late joiner gets Ada's real state from the server.
    let late = Client::join(&url).await.expect("late joiner");
    let peers = late
        .wait_peers(|p| p.len() == 2)
        .await
        .expect("late joiner sees both");
    assert_eq!(
        peers,
        [
            json!({"user": {"name": "Ada"}}),
            json!({"user": {"name": "M"}})
        ]
    );
}
