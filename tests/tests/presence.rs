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
