//! Cluster mode (`huddle serve --redis URL --node-id ID`): nodes sharing one Redis, started by
//! the test from Debian's package on a free loopback port with its own directory and
//! `appendfsync always`. Clients of one board reach any node; the node that owns the board
//! runs its room and the others relay to it.

use std::time::{Duration, Instant};

use huddle_shared::model::{Board, NewNote};
use huddle_tests::client::Client;
use huddle_tests::redis::TestRedis;
use huddle_tests::server::{DataDir, TestServer};
use serde_json::json;

fn note(text: &str, x: f64) -> NewNote {
    NewNote {
        pos: [x, 10.0],
        text: text.to_owned(),
        ..Default::default()
    }
}

/// Three nodes on one Redis; `a` printed the admin link.
fn three_nodes(redis: &TestRedis) -> Vec<(TestServer, DataDir)> {
    let a = TestServer::start_node(&redis.url(), "a", None, &[]).expect("node a");
    let key = a.0.admin_key().to_owned();
    let b = TestServer::start_node(&redis.url(), "b", Some(&key), &[]).expect("node b");
    let c = TestServer::start_node(&redis.url(), "c", Some(&key), &[]).expect("node c");
    vec![a, b, c]
}

/// The admin's WebSocket URL of `board` on `node` (the board created once, on any node).
fn url(node: &TestServer, admin_key: &str, board: &str) -> String {
    node.ws_url_with_key(board, admin_key)
}

async fn metric(node: &TestServer, name: &str) -> u64 {
    let body = huddle_tests::http::get(node.addr(), "/metrics")
        .await
        .expect("metrics")
        .body;
    body.lines()
        .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in\n{body}"))
}

/// Sends signal `sig` (`-STOP`, `-CONT`) to process `pid`.
fn signal(pid: u32, sig: &str) {
    let status = std::process::Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success(), "kill {sig}");
}

/// Joins `board` through `node` until it lets the client in (a board moving between nodes
/// is turned away for a moment); returns the client and how long it took.
async fn join_until_served(url: &str, board: Board, within: Duration) -> (Client, Duration) {
    let started = Instant::now();
    loop {
        match Client::connect_with(url, board.clone()).await {
            Ok(client) if client.wait_synced().await.is_ok() => {
                return (client, started.elapsed());
            }
            Ok(_) | Err(_) if started.elapsed() < within => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Ok(_) | Err(_) => panic!("the board was not served again within {within:?}"),
        }
    }
}

/// Clients of one board on three nodes see each other's edits and cursors as if they were on
/// one; comments too. The owner runs the room, the other two relay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_on_three_nodes_share_one_board() {
    let redis = TestRedis::start();
    let nodes = three_nodes(&redis);
    let key = nodes[0].0.admin_key().to_owned();
    // Created (and first opened) on a: a owns the board.
    let first = Client::join(&nodes[0].0.ws_url("shared"))
        .await
        .expect("join a");
    let mut clients = vec![first];
    for (node, _) in &nodes[1..] {
        clients.push(
            Client::join(&url(node, &key, "shared"))
                .await
                .expect("join"),
        );
    }
    for (i, client) in clients.iter().enumerate() {
        client.edit(|b, txn| {
            b.create_note(txn, note(&format!("from node {i}"), i as f64))
                .expect("create")
        });
        client
            .set_awareness(json!({ "cursor": [i, i], "name": format!("p{i}") }))
            .expect("awareness");
    }
    let mut want = None;
    for client in &clients {
        let snapshot = client
            .wait_until(|b| b.items.len() == 3)
            .await
            .expect("every node's note arrives everywhere");
        want.get_or_insert(snapshot.clone());
        assert_eq!(Some(&snapshot), want.as_ref());
        client
            .wait_peers(|peers| peers.len() >= 2)
            .await
            .expect("the cursors of the people on the other nodes");
    }
    for client in &clients {
        client.save().await.expect("saved through the relay");
    }
    assert!(metric(&nodes[1].0, "huddle_relayed_connections_total").await >= 1);
    assert!(metric(&nodes[2].0, "huddle_relayed_connections_total").await >= 1);
    assert_eq!(
        metric(&nodes[0].0, "huddle_relayed_connections_total").await,
        0
    );
    assert_eq!(metric(&nodes[0].0, "huddle_cluster_boards_owned").await, 1);

    // The board's API, asked on a node that does not own it, is answered by the owner.
    let renamed = huddle_tests::http::request(
        nodes[2].0.addr(),
        "PATCH",
        "/api/boards/shared",
        Some(r#"{"title":"Renamed on c"}"#.to_owned()),
    )
    .await
    .expect("rename through c");
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    for client in &clients {
        client
            .wait_until(|b| b.meta.title == "Renamed on c")
            .await
            .expect("the owner's room renamed the board for everyone");
    }
    assert!(metric(&nodes[2].0, "huddle_relayed_requests_total").await >= 1);
}

/// `kill -9` of the owning node under load: every client gets back in through another node
/// within 5 s of the kill, and nothing that was acknowledged as saved is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_owner_is_replaced_and_nothing_saved_is_lost() {
    let redis = TestRedis::start();
    let mut nodes = three_nodes(&redis);
    let key = nodes[0].0.admin_key().to_owned();
    let owner = Client::join(&nodes[0].0.ws_url("crash"))
        .await
        .expect("join a");
    let on_b = Client::join(&url(&nodes[1].0, &key, "crash"))
        .await
        .expect("join b");
    let on_c = Client::join(&url(&nodes[2].0, &key, "crash"))
        .await
        .expect("join c");
    for round in 0..10 {
        for (i, client) in [&owner, &on_b, &on_c].iter().enumerate() {
            client.edit(|b, txn| {
                b.create_note(txn, note(&format!("r{round} c{i}"), round as f64))
                    .expect("create")
            });
        }
    }
    for client in [&owner, &on_b, &on_c] {
        client.save().await.expect("saved");
    }
    let saved = on_c
        .wait_until(|b| b.items.len() == 30)
        .await
        .expect("all 30");
    // Edits still in flight when the owner dies: the clients keep them and resend them.
    for (i, client) in [&on_b, &on_c].iter().enumerate() {
        client.edit(|b, txn| {
            b.create_note(txn, note(&format!("in flight {i}"), 99.0))
                .expect("create")
        });
    }
    nodes[0].0.kill9();
    let killed = Instant::now();

    // Each surviving client reconnects, with its replica, to another node.
    let b_url = url(&nodes[1].0, &key, "crash");
    let c_url = url(&nodes[2].0, &key, "crash");
    let (back_b, _) = join_until_served(&c_url, on_b.board.clone(), Duration::from_secs(10)).await;
    let (back_c, _) = join_until_served(&b_url, on_c.board.clone(), Duration::from_secs(10)).await;
    let owned_again = killed.elapsed();
    assert!(
        owned_again < Duration::from_secs(5),
        "the board was owned again only after {owned_again:?}"
    );
    for client in [&back_b, &back_c] {
        let now = client
            .wait_until(|b| b.items.len() == 32)
            .await
            .expect("the saved notes and both in-flight ones");
        for id in saved.items.keys() {
            assert!(now.items.contains_key(id), "a saved note was lost");
        }
    }
    back_b.save().await.expect("saved on the new owner");
    let takeovers = metric(&nodes[1].0, "huddle_cluster_takeovers_total").await
        + metric(&nodes[2].0, "huddle_cluster_takeovers_total").await;
    assert_eq!(
        takeovers, 1,
        "one node took the board over from the dead one"
    );
    drop(nodes);
}

/// A node paused (SIGSTOP) past its lease, whose board another node took meanwhile, cannot
/// write when it resumes: its write is refused by Redis (the fence), it acknowledges nothing,
/// and its clients are sent away to reconnect; reconnected, their edits reach the new owner.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_owner_cannot_write_when_it_resumes() {
    let redis = TestRedis::start();
    let nodes = three_nodes(&redis);
    let key = nodes[0].0.admin_key().to_owned();
    let stale = Client::join(&nodes[0].0.ws_url("paused"))
        .await
        .expect("join a");
    stale.edit(|b, txn| b.create_note(txn, note("before", 0.0)).expect("create"));
    stale.save().await.expect("saved");

    let signal = |sig| signal(nodes[0].0.pid(), sig);
    signal("-STOP");
    // Past a's lease (3 s): b takes the board.
    let (fresh, _) = join_until_served(
        &url(&nodes[1].0, &key, "paused"),
        Board::new(),
        Duration::from_secs(15),
    )
    .await;
    fresh.edit(|b, txn| {
        b.create_note(txn, note("on the new owner", 1.0))
            .expect("create")
    });
    fresh.save().await.expect("saved on b");
    signal("-CONT");

    // a resumes, its client still connected to it, and writes.
    stale.edit(|b, txn| {
        b.create_note(txn, note("after the pause", 2.0))
            .expect("create")
    });
    let save = tokio::time::timeout(Duration::from_secs(10), stale.save()).await;
    assert!(
        !matches!(save, Ok(Ok(()))),
        "the paused node acknowledged a save after losing the board"
    );
    let (code, reason) = stale.closed().await.expect("a closes its connection");
    assert_eq!(code, 1013, "{reason}");

    // Reconnected (to c), the stale client's edit reaches the new owner; nothing is lost.
    let (back, _) = join_until_served(
        &url(&nodes[2].0, &key, "paused"),
        stale.board.clone(),
        Duration::from_secs(10),
    )
    .await;
    back.save().await.expect("saved");
    let now = fresh
        .wait_until(|b| b.items.len() == 3)
        .await
        .expect("before, on the new owner, after the pause");
    let texts: Vec<&str> = now.items.values().map(|i| i.text.as_str()).collect();
    for text in ["before", "on the new owner", "after the pause"] {
        assert!(texts.contains(&text), "{text:?} is missing: {texts:?}");
    }
}

/// `huddle migrate --from-data DIR --to-redis URL`: a single node's boards, versions and
/// admin link work unchanged on a cluster node afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_directory_migrates_into_redis() {
    let data = DataDir::new();
    let mut single = TestServer::start_on(data.path(), &[]).expect("single node");
    let key = single.admin_key().to_owned();
    let writer = Client::join(&single.ws_url("moved")).await.expect("join");
    for i in 0..20 {
        writer.edit(|b, txn| {
            b.create_note(txn, note(&format!("n{i}"), i as f64))
                .expect("create")
        });
    }
    writer.save().await.expect("saved");
    let saved = huddle_tests::http::request(
        single.addr(),
        "POST",
        "/api/boards/moved/versions",
        Some(r#"{"name":"before the move"}"#.to_owned()),
    )
    .await
    .expect("save a version");
    assert_eq!(saved.status, 201, "{}", saved.body);
    let want = writer.snapshot();
    writer.close().await;
    assert_eq!(single.stop().expect("stop"), 0);

    let redis = TestRedis::start();
    let out = std::process::Command::new(huddle_tests::server::huddle_bin())
        .args(["migrate", "--from-data"])
        .arg(data.path())
        .args(["--to-redis", &redis.url()])
        .output()
        .expect("huddle migrate");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("migrated 1 boards"), "{stdout}");
    // Into a Redis that holds boards already: refused, nothing written twice.
    let again = std::process::Command::new(huddle_tests::server::huddle_bin())
        .args(["migrate", "--from-data"])
        .arg(data.path())
        .args(["--to-redis", &redis.url()])
        .output()
        .expect("huddle migrate");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds 1 boards"));

    // The same admin key opens the same board on a cluster node.
    let (node, _node_data) =
        TestServer::start_node(&redis.url(), "a", Some(&key), &[]).expect("node");
    let fresh = Client::join(&url(&node, &key, "moved"))
        .await
        .expect("join the node");
    assert_eq!(fresh.snapshot(), want);
    let versions = huddle_tests::http::get(node.addr(), "/api/boards/moved/versions")
        .await
        .expect("versions");
    assert_eq!(versions.status, 200);
    assert!(
        versions.body.contains("before the move"),
        "{}",
        versions.body
    );
}

/// An owner stopped gracefully hands its boards over at once: it saves what it holds and lets
/// go of the lease, so the next node takes the board as a hand-over, not by waiting for the
/// lease to run out (no takeover counted), and nothing is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_owner_hands_its_boards_over() {
    let redis = TestRedis::start();
    let mut nodes = three_nodes(&redis);
    let key = nodes[0].0.admin_key().to_owned();
    let owner = Client::join(&nodes[0].0.ws_url("handover"))
        .await
        .expect("join a");
    let relayed = Client::join(&url(&nodes[1].0, &key, "handover"))
        .await
        .expect("join b");
    for i in 0..10 {
        relayed.edit(|b, txn| {
            b.create_note(txn, note(&format!("n{i}"), i as f64))
                .expect("create")
        });
    }
    let want = owner
        .wait_until(|b| b.items.len() == 10)
        .await
        .expect("all 10");
    assert_eq!(nodes[0].0.stop().expect("stop a"), 0);
    let (code, _) = relayed
        .closed()
        .await
        .expect("the relayed connection ends with a");
    assert_ne!(code, 1013, "a stopping node does not lose its boards");
    let (back, _) = join_until_served(
        &url(&nodes[2].0, &key, "handover"),
        relayed.board.clone(),
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(back.snapshot(), want);
    assert_eq!(metric(&nodes[2].0, "huddle_cluster_boards_owned").await, 1);
    assert_eq!(
        metric(&nodes[2].0, "huddle_cluster_takeovers_total").await,
        0,
        "taken over, not handed over"
    );
}

/// A round across nodes: the owner opens it on the node that runs the board, a person who
/// signed in on another node votes through a third; the reveal reaches both, with the vote.
/// A comment written through the third node reaches the owner.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn votes_and_comments_work_across_nodes() -> anyhow::Result<()> {
    use huddle_shared::rounds::{Kind, Settings};
    use huddle_tests::rounds::{Answer, Team, add_notes, dots};
    let redis = TestRedis::start();
    let nodes = three_nodes(&redis);
    let (a, b, c) = (&nodes[0].0, &nodes[1].0, &nodes[2].0);
    let team = Team::start(a, "Olga Owner").await?;
    // Cleo arrives (gets her cookie) on b and opens the board through c.
    let cleo = team.member(b, "editor", "Cleo Editor").await?;
    let owner = team.tab(a, &team.owner).await?;
    let notes = add_notes(&owner, &["a", "b"]).await?;
    let (na, nb) = (notes[0].as_str(), notes[1].as_str());
    let round = owner
        .open(
            Settings {
                budget: 3,
                ..Settings::new(Kind::Dots)
            },
            &[na, nb],
        )
        .await?;
    let cleo_tab = team.tab(c, &cleo).await?;
    anyhow::ensure!(metric(c, "huddle_relayed_connections_total").await >= 1);
    let answer = cleo_tab.cast(&round, dots([(na, 2), (nb, 1)])).await?;
    anyhow::ensure!(answer == Answer::Ack(None), "a valid ballot: {answer:?}");
    owner.wait_voted(&round, 1).await?;
    owner.reveal(&round).await?;
    for tab in [&owner, &cleo_tab] {
        let result = tab.wait_result(&round).await?;
        anyhow::ensure!(
            (result.items[na].votes, result.items[nb].votes) == (2, 1),
            "{result:?}"
        );
    }

    use huddle_tests::comments;
    comments::hello(&cleo_tab).await?;
    comments::hello(&owner).await?;
    comments::ack(
        &cleo_tab,
        comments::start_on(na, "t1", "c1", "Why this one first?"),
    )
    .await?;
    comments::wait_thread(&owner, "t1", |t| {
        t.comments.iter().any(|c| c.text == "Why this one first?")
    })
    .await?;
    Ok(())
}

/// Redis killed (SIGKILL) and restarted under a node with `appendfsync always`: nothing the
/// node acknowledged as saved is lost, and the node goes on saving once Redis is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_loses_nothing_acknowledged() {
    let mut redis = TestRedis::start();
    let (mut node, _data) = TestServer::start_node(&redis.url(), "a", None, &[]).expect("node");
    let key = node.admin_key().to_owned();
    let writer = Client::join(&node.ws_url("durable")).await.expect("join");
    for i in 0..20 {
        writer.edit(|b, txn| {
            b.create_note(txn, note(&format!("n{i}"), i as f64))
                .expect("create")
        });
    }
    writer.save().await.expect("saved");
    let acknowledged = writer.snapshot();
    redis.kill_and_restart();
    writer.edit(|b, txn| {
        b.create_note(txn, note("after the restart", 99.0))
            .expect("create")
    });
    writer.save().await.expect("saved once Redis is back");
    // What Redis holds, read by another node once this one is gone.
    node.kill9();
    let (other, _other_data) =
        TestServer::start_node(&redis.url(), "b", Some(&key), &[]).expect("node b");
    let (fresh, _) = join_until_served(
        &url(&other, &key, "durable"),
        Board::new(),
        Duration::from_secs(10),
    )
    .await;
    let now = fresh
        .wait_until(|b| b.items.len() == 21)
        .await
        .expect("all 21");
    for id in acknowledged.items.keys() {
        assert!(now.items.contains_key(id), "an acknowledged note was lost");
    }
}

/// An id that no board has, asked for by anyone, is refused by the node it reaches and leaves
/// nothing in Redis: no lease and no fencing counter (one per id, kept for ever, would let
/// anyone fill Redis with made-up ids).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_board_leaves_nothing_in_redis() {
    let redis = TestRedis::start();
    let (node, _data) = TestServer::start_node(&redis.url(), "a", None, &[]).expect("node a");
    let board = "nosuchboard123";
    assert!(
        Client::join(&node.ws_url_bare(board)).await.is_err()
            && Client::join(&node.ws_url_with_key(board, node.admin_key()))
                .await
                .is_err(),
        "nobody opens a board that does not exist"
    );
    let answer = huddle_tests::http::get(node.addr(), &format!("/api/boards/{board}/versions"))
        .await
        .expect("answered");
    assert_eq!(answer.status, 404, "{}", answer.body);
    let mut conn = redis::Client::open(redis.url())
        .expect("client")
        .get_connection()
        .expect("connection");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("*{board}*"))
        .query(&mut conn)
        .expect("KEYS");
    assert!(keys.is_empty(), "{keys:?}");
}

/// A Redis that stops answering holds up the requests waiting for it, never the node's
/// others: the node's Redis round trips (who a request is, their profile) leave its async
/// threads, so more such requests than the node has threads do not stop a request for the
/// app's icon, which needs no Redis.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_redis_holds_up_only_what_waits_for_it() {
    let redis = TestRedis::start();
    let (node, _data) = TestServer::start_node(&redis.url(), "a", None, &[]).expect("node a");
    let addr = node.addr();
    // A person with a cookie: the node asks Redis whether they are an admin, and for their
    // profile.
    let first = huddle_tests::http::get(addr, "/api/me")
        .await
        .expect("answered");
    let cookie = first
        .set_cookie()
        .and_then(|c| c.split(';').next())
        .expect("a cookie")
        .to_owned();
    let me = move || {
        let cookie = cookie.clone();
        async move {
            huddle_tests::http::request_as(addr, "GET", "/api/me", None, &[("Cookie", &cookie)])
                .await
        }
    };
    let asked = me().await.expect("answered");
    assert_eq!(asked.status, 200, "{}", asked.body);

    let pid = redis.pid().expect("redis runs");
    let signal = |sig| signal(pid, sig);
    signal("-STOP");
    // Many more than the node's async threads (one per core).
    let waiting: Vec<_> = (0..16).map(|_| tokio::spawn(me())).collect();
    // Let them reach the node and block on Redis.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let icon = huddle_tests::http::get(addr, "/favicon.ico")
        .await
        .expect("icon");
    assert_eq!(icon.status, 200);
    // Before the node's Redis timeout (5 s) none of them can have an answer. Had the icon
    // waited for a thread of theirs, the first of them would have timed out before it, and
    // their answers would be here by now.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let answered = waiting.iter().filter(|w| w.is_finished()).count();
    signal("-CONT");
    assert_eq!(answered, 0, "the icon waited for requests blocked on Redis");
    for w in waiting {
        w.await
            .expect("task")
            .expect("an answer, once Redis is back");
    }
    let asked = me().await.expect("answered");
    assert_eq!(asked.status, 200, "{}", asked.body);
}

/// `--max-connections-per-ip` counts a relayed client against its own address on the node it
/// entered, for as long as it is relayed, never against the entry node's on the owner: every
/// relayed connection comes from the entry's one address, so a busy entry would otherwise hit
/// the owner's cap for all its clients. On loopback every client and node is 127.0.0.1, which
/// makes the point: the owner takes six relayed clients under a cap of three, each entry
/// refuses a fourth, and the owner still caps its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relayed_connections_do_not_count_against_the_entry_node() {
    let redis = TestRedis::start();
    let cap = ["--max-connections-per-ip", "3"];
    let (a, _a) = TestServer::start_node(&redis.url(), "a", None, &cap).expect("node a");
    let key = a.admin_key().to_owned();
    let (b, _b) = TestServer::start_node(&redis.url(), "b", Some(&key), &cap).expect("node b");
    let (c, _c) = TestServer::start_node(&redis.url(), "c", Some(&key), &cap).expect("node c");
    // Opened first on b: b owns the board.
    let mut clients = vec![Client::join(&b.ws_url("capped")).await.expect("join b")];
    for entry in [&a, &c] {
        for i in 0..3 {
            let client = Client::join(&url(entry, &key, "capped"))
                .await
                .unwrap_or_else(|e| panic!("relayed client {i} through {}: {e:#}", entry.addr()));
            clients.push(client);
        }
    }
    clients[6].edit(|board, txn| {
        board
            .create_note(txn, note("relayed", 0.0))
            .expect("create")
    });
    for client in &clients {
        client
            .wait_until(|board| board.items.len() == 1)
            .await
            .expect("every client is in the owner's room");
    }
    // The entries count their relayed clients: a fourth through a is over a's cap.
    assert!(
        Client::join(&url(&a, &key, "capped")).await.is_err(),
        "a fourth relayed connection from one address to a is over its cap"
    );
    // b's own clients are still capped: it holds one, takes two more, refuses the next.
    for _ in 0..2 {
        clients.push(
            Client::join(&url(&b, &key, "capped"))
                .await
                .expect("join b"),
        );
    }
    assert!(
        Client::join(&url(&b, &key, "capped")).await.is_err(),
        "a fourth connection from one address to b is over its cap"
    );
}
