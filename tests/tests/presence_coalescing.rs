//! The room coalesces awareness when it is busy: many clients moving their cursors far faster
//! than the flush rate each receive a frame per flush (50 ms), not one per cursor move, and
//! still end with everyone's last state. A light room relays each change as it comes.

use std::time::{Duration, Instant};

use huddle_tests::client::Client;
use huddle_tests::server::TestServer;
use serde_json::{Value, json};

/// Clients in the room: enough that relaying every move would be thousands of frames each.
const CLIENTS: usize = 8;
/// How long everyone moves their cursor.
const MOVING: Duration = Duration::from_secs(1);
/// Time between two cursor moves of one client: 200 Hz, ten times the client-side throttle.
const MOVE_EVERY: Duration = Duration::from_millis(5);
/// The server's flush interval (`huddle_server::room::AWARENESS_FLUSH`).
const FLUSH: Duration = Duration::from_millis(50);

fn cursor(client: usize, seq: u64) -> Value {
    json!({"user": {"name": format!("c{client}")}, "cursor": {"x": seq, "y": client}, "seq": seq})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cursor_storms_are_coalesced_and_nothing_is_lost() {
    assert_eq!(FLUSH, huddle_server::room::AWARENESS_FLUSH);
    let (server, _data) = TestServer::start().expect("server");
    let url = server.ws_url("storm");
    let mut clients = Vec::new();
    for i in 0..CLIENTS {
        let client = Client::join(&url).await.expect("join");
        client.set_awareness(cursor(i, 0)).expect("announce");
        clients.push(client);
    }
    for client in &clients {
        client
            .wait_peers(|p| p.len() == CLIENTS - 1)
            .await
            .expect("everyone sees everyone");
    }
    // Let the last flush of the announcements land before counting.
    tokio::time::sleep(FLUSH * 4).await;
    let before: Vec<u64> = clients.iter().map(|c| c.state().applied).collect();

    let started = Instant::now();
    let mut tick = tokio::time::interval(MOVE_EVERY);
    let mut seq = 0;
    while started.elapsed() < MOVING {
        tick.tick().await;
        seq += 1;
        for (i, client) in clients.iter().enumerate() {
            client.set_awareness(cursor(i, seq)).expect("move");
        }
    }
    let sent_each = seq;

    // Nothing lost: everyone ends with everyone else's LAST state.
    for (i, client) in clients.iter().enumerate() {
        let mut expected: Vec<Value> = (0..CLIENTS)
            .filter(|j| *j != i)
            .map(|j| cursor(j, sent_each))
            .collect();
        expected.sort_by_key(|s| s.to_string());
        client
            .wait_peers(|p| p == expected.as_slice())
            .await
            .unwrap_or_else(|e| panic!("client {i} lacks someone's last state: {e}"));
    }
    let elapsed = started.elapsed();

    // Far fewer frames than moves. How many exactly depends on timing, which a test must not
    // assert (a pause of the machine over two flush intervals lets the room start a light
    // window again, relaying up to its budget at once: CI saw 82 frames where one per flush
    // would be 55); the frame count per flush is the benchmarks' (W1, W2) to measure.
    let first_window = huddle_server::room::AWARENESS_BUDGET / CLIENTS as u64;
    let one_per_flush = (elapsed.as_millis() / FLUSH.as_millis()) as u64 + 3 + first_window;
    let relayed_without_coalescing = sent_each * (CLIENTS as u64 - 1);
    for (i, client) in clients.iter().enumerate() {
        let received = client.state().applied - before[i];
        println!(
            "client {i}: {received} awareness frames for {relayed_without_coalescing} moves \
             (one per flush would be {one_per_flush})"
        );
        assert!(
            received * 10 < relayed_without_coalescing,
            "client {i} received {received} frames for {relayed_without_coalescing} moves"
        );
    }

    let metrics = huddle_tests::http::get(server.addr(), "/metrics")
        .await
        .expect("metrics")
        .body;
    let coalesced = metric(&metrics, "huddle_awareness_frames_coalesced_total");
    assert!(
        coalesced > sent_each,
        "the metric counts the folded moves: {coalesced}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_light_room_relays_each_change_as_it_comes() {
    const MOVES: u64 = 10;
    let (server, _data) = TestServer::start().expect("server");
    let url = server.ws_url("light");
    let mut clients = Vec::new();
    for i in 0..3 {
        let client = Client::join(&url).await.expect("join");
        client.set_awareness(cursor(i, 0)).expect("announce");
        clients.push(client);
    }
    for client in &clients {
        client
            .wait_peers(|p| p.len() == 2)
            .await
            .expect("everyone sees everyone");
    }
    tokio::time::sleep(FLUSH * 4).await;
    let before = clients[1].state().applied;
    // Ten moves back to back, far faster than a flush: a busy room would fold them into one
    // frame; three people are a light room, so each move is a frame of its own.
    for seq in 1..=MOVES {
        clients[0].set_awareness(cursor(0, seq)).expect("move");
    }
    clients[1]
        .wait_peers(|p| p.contains(&cursor(0, MOVES)))
        .await
        .expect("the last move arrives");
    tokio::time::sleep(FLUSH * 2).await;
    let received = clients[1].state().applied - before;
    assert_eq!(
        received, MOVES,
        "one awareness frame per move in a light room"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_room_flushes_nothing_and_a_single_change_arrives_promptly() {
    let (server, _data) = TestServer::start().expect("server");
    let url = server.ws_url("quiet");
    let ada = Client::join(&url).await.expect("ada");
    let bob = Client::join(&url).await.expect("bob");
    let flushes = || async {
        let body = huddle_tests::http::get(server.addr(), "/metrics")
            .await
            .expect("metrics")
            .body;
        metric(&body, "huddle_awareness_flushes_total")
    };
    tokio::time::sleep(FLUSH * 4).await;
    assert_eq!(flushes().await, 0, "nobody announced anything: no flush");

    let sent = Instant::now();
    ada.set_awareness(json!({"user": {"name": "Ada"}}))
        .expect("announce");
    bob.wait_peers(|p| p.len() == 1)
        .await
        .expect("bob sees ada");
    let took = sent.elapsed();
    assert!(
        took < Duration::from_secs(2),
        "one change waits a flush interval, not longer: {took:?}"
    );
    tokio::time::sleep(FLUSH * 4).await;
    assert_eq!(
        flushes().await,
        1,
        "one change, one flush; then the room is idle"
    );
}

/// The value of a counter in the Prometheus text.
fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
}
