//! Issue 15's W6 for a node: `kill -9` of the node that owns every board of a cluster while
//! people work, then the time until every client holds its board again (through the other
//! nodes) and how many acknowledged updates were lost (goal: none).
//!
//! Redis (Debian's, `appendfsync always`) and three nodes of the binary under test on
//! loopback; 10 boards x 5 clients, the clients spread over the nodes in turn, every board
//! opened first through node a, which owns them all. Ten rounds: every client adds a note,
//! then every client asks for "saved"; the notes of answered rounds are the acknowledged ones.
//! One more round is sent without waiting (in flight), then node a is killed. Each client
//! reconnects with its replica, to the next live node, until it is synced again. Then every
//! client saves, and a fresh client of each board, on another node, reads what is stored.
//!
//! `cargo xtask bench -- w6-node-kill` (run only when named).

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use huddle_shared::model::{Board, NewNote};
use huddle_tests::client::Client;
use huddle_tests::redis::TestRedis;
use huddle_tests::server::TestServer;

use crate::stats::{median, millis};

const BOARDS: usize = 10;
const PER_BOARD: usize = 5;
const ROUNDS: usize = 10;
/// How long a client keeps trying to get back in before the run counts it as lost.
const GIVE_UP: Duration = Duration::from_secs(30);

pub fn run() -> anyhow::Result<()> {
    println!("## W6 for a node: kill -9 of the owning node of a three-node cluster\n");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(scenario())
}

fn board_name(b: usize) -> String {
    format!("kill{b}")
}

async fn scenario() -> anyhow::Result<()> {
    let redis = TestRedis::start();
    let (mut a, _a_data) = TestServer::start_node(&redis.url(), "a", None, &[])?;
    let key = a.admin_key().to_owned();
    let (b, _b_data) = TestServer::start_node(&redis.url(), "b", Some(&key), &[])?;
    let (c, _c_data) = TestServer::start_node(&redis.url(), "c", Some(&key), &[])?;
    let survivors = [&b, &c];

    // Every board created and first opened through a: a owns them all.
    let mut clients = Vec::new();
    for board in 0..BOARDS {
        let name = board_name(board);
        clients.push(Client::join(&a.ws_url(&name)).await?);
        for i in 1..PER_BOARD {
            let node = [&a, &b, &c][i % 3];
            clients.push(Client::join(&node.ws_url_with_key(&name, &key)).await?);
        }
    }
    let mut acknowledged: Vec<Vec<String>> = vec![Vec::new(); BOARDS];
    for round in 0..ROUNDS {
        let ids: Vec<String> = clients
            .iter()
            .enumerate()
            .map(|(i, client)| add_note(client, &format!("c{i} r{round}")))
            .collect();
        join_all(clients.iter().map(|c| c.save()))
            .await
            .into_iter()
            .collect::<anyhow::Result<Vec<()>>>()?;
        for (i, id) in ids.into_iter().enumerate() {
            acknowledged[i / PER_BOARD].push(id);
        }
    }
    let in_flight: Vec<String> = clients
        .iter()
        .enumerate()
        .map(|(i, client)| add_note(client, &format!("c{i} in flight")))
        .collect();
    a.kill9();
    let killed = Instant::now();

    // Each client back in, with its replica, through a live node.
    let back = join_all(clients.iter().enumerate().map(|(i, client)| {
        let node = survivors[i % 2];
        let url = node.ws_url_with_key(&board_name(i / PER_BOARD), &key);
        let replica = client.board.clone();
        async move { rejoin(&url, replica, killed).await }
    }))
    .await;
    let mut times = Vec::new();
    let mut rejoined = Vec::new();
    for result in back {
        let (client, took) = result?;
        times.push(took);
        rejoined.push(client);
    }
    join_all(rejoined.iter().map(|c| c.save()))
        .await
        .into_iter()
        .collect::<anyhow::Result<Vec<()>>>()?;

    // What is stored, as a fresh client of each board on another node reads it.
    let (mut lost, mut kept_in_flight) = (0, 0);
    for board in 0..BOARDS {
        let url = c.ws_url_with_key(&board_name(board), &key);
        let reader = Client::join(&url).await?;
        let stored = reader.snapshot();
        lost += acknowledged[board]
            .iter()
            .filter(|id| !stored.items.contains_key(*id))
            .count();
        kept_in_flight += in_flight[board * PER_BOARD..(board + 1) * PER_BOARD]
            .iter()
            .filter(|id| stored.items.contains_key(*id))
            .count();
    }
    let (p50, max) = (
        median(&mut times),
        times.iter().max().copied().unwrap_or_default(),
    );
    let acked: usize = acknowledged.iter().map(Vec::len).sum();
    println!(
        "{BOARDS} boards x {PER_BOARD} clients on three nodes (Redis `appendfsync always`), \
         {ROUNDS} saved rounds of one note per client, one more round in flight, then \
         `kill -9` of node a (owner of every board).\n"
    );
    println!("| figure | value |\n|---|---|");
    println!(
        "| time from the kill until a client holds its board again: p50 / max (all {}) | {:.0} ms / **{:.0} ms** |",
        times.len(),
        millis(p50),
        millis(max)
    );
    println!(
        "| acknowledged notes lost (of {acked}) | **{lost}** (goal 0: {}) |",
        if lost == 0 { "met" } else { "NOT met" }
    );
    println!(
        "| notes in flight at the kill, stored after the clients came back (of {}) | {kept_in_flight} |",
        in_flight.len()
    );
    println!(
        "\nThe lease lives {:?}: until it runs out, a node turns a client of the dead node's \
         boards away (503) and the client tries again every 100 ms.\n",
        huddle_server::store::redis::LEASE_TTL
    );
    if lost > 0 {
        anyhow::bail!("{lost} acknowledged notes were lost");
    }
    Ok(())
}

fn add_note(client: &Client, text: &str) -> String {
    client.edit(|b, txn| {
        b.create_note(
            txn,
            NewNote {
                pos: [0.0, 0.0],
                text: text.to_owned(),
                ..Default::default()
            },
        )
        .expect("a note")
    })
}

/// Connects with `replica` until the server lets it in and it is synced; the time since
/// `killed`.
async fn rejoin(url: &str, replica: Board, killed: Instant) -> anyhow::Result<(Client, Duration)> {
    loop {
        if let Ok(client) = Client::connect_with(url, replica.clone()).await
            && client.wait_synced().await.is_ok()
        {
            return Ok((client, killed.elapsed()));
        }
        if killed.elapsed() > GIVE_UP {
            anyhow::bail!("a client was not back in {GIVE_UP:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
