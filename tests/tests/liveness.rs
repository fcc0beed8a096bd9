//! Dead connections go: a client that stops answering pings is dropped after the deadline,
//! while a live one on the same board carries on.

use std::time::{Duration, Instant};

use huddle_shared::model::NewNote;
use huddle_tests::client::Client;
use huddle_tests::http;
use huddle_tests::server::{DataDir, TestServer};

async fn metric(server: &TestServer, name: &str) -> i64 {
    http::metric(server.addr(), name).await.expect("metric") as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_client_is_dropped_after_the_ping_deadline() {
    let data = DataDir::new();
    // Pings every second: the deadline is 2 x 1 s + 5 s of grace.
    let server = TestServer::start_on(data.path(), &["--ping-interval-secs", "1"]).expect("server");
    let url = server.ws_url("liveness");
    let live = Client::join(&url).await.expect("live client");
    // A socket that is never read from never answers a ping (tungstenite sends pongs while
    // reading): to the server it looks like a vanished laptop.
    let (silent, _) = tokio_tungstenite::connect_async(&url)
        .await
        .expect("silent client");
    let started = Instant::now();
    while metric(&server, "huddle_connections_open").await != 2 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "both connections never showed up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Longer than the deadline, kept alive by pongs: the live client must not be dropped.
    tokio::time::sleep(Duration::from_secs(9)).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while metric(&server, "huddle_connections_open").await != 1 {
        assert!(
            Instant::now() < deadline,
            "the silent connection was never dropped"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        live.state().closed.is_none(),
        "the live client was dropped: {:?}",
        live.state().closed
    );
    live.edit(|b, txn| b.create_note(txn, NewNote::default()).expect("create"));
    live.save().await.expect("the live client still syncs");
    drop(silent);
}
