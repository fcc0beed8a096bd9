//! Cluster mode (`huddle serve --redis URL --node-id ID`): nodes sharing one Redis, started by
//! the test from Debian's package on a free loopback port with its own directory and
//! `appendfsync always`.

use huddle_shared::model::NewNote;
use huddle_tests::client::Client;
use huddle_tests::redis::TestRedis;
use huddle_tests::server::TestServer;

fn note(text: &str, x: f64) -> NewNote {
    NewNote {
        pos: [x, 10.0],
        text: text.to_owned(),
        ..Default::default()
    }
}

/// A node's boards, people and saves are in Redis: after `kill -9` of the node, another node
/// on the same Redis serves everything that was acknowledged as saved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_node_serves_what_a_killed_node_saved() {
    let redis = TestRedis::start();
    let (mut a, _a_data) = TestServer::start_node(&redis.url(), "a", None, &[]).expect("node a");
    let writer = Client::join(&a.ws_url("shared")).await.expect("join a");
    for i in 0..30 {
        writer.edit(|b, txn| {
            b.create_note(txn, note(&format!("n{i}"), i as f64))
                .expect("create")
        });
    }
    writer.save().await.expect("saved");
    let want = writer.snapshot();
    a.kill9();

    let (b, _b_data) =
        TestServer::start_node(&redis.url(), "b", Some(a.admin_key()), &[]).expect("node b");
    // a's lease on the board runs out within its life (3 s); until then b turns the
    // connection away to try again.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let fresh = loop {
        match Client::join(&b.ws_url_with_key("shared", a.admin_key())).await {
            Ok(client) => break client,
            Err(e) if std::time::Instant::now() < deadline => {
                eprintln!("not yet: {e:#}");
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            Err(e) => panic!("node b never served the board: {e:#}"),
        }
    };
    assert_eq!(fresh.snapshot(), want);
}
