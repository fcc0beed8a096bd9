//! The harness of the bad-input tests: open a connection, send it one bad frame, and report
//! how the server closed it (close code and reason); and the checks that nothing else
//! suffered: a [`Pair`] of well-behaved clients on the same board still syncs, and the server
//! is still healthy (and what its metrics say).

use std::collections::BTreeSet;

use anyhow::{Context, bail, ensure};
use huddle_shared::model::{BoardSnapshot, NewNote};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::client::Client;
use crate::http;
use crate::server::TestServer;

/// Close codes the server sends (RFC 6455; see `server/src/outbox.rs`).
pub const CLOSE_UNSUPPORTED: u16 = 1003;
pub const CLOSE_INVALID: u16 = 1007;
pub const CLOSE_TOO_BIG: u16 = 1009;

/// Bad connections opened at once: enough to overlap, few enough for a 2-core machine.
pub const CONCURRENT: usize = 8;

/// Two well-behaved clients on one board, used to check the room keeps working.
pub struct Pair {
    pub a: Client,
    pub b: Client,
}

impl Pair {
    /// Two clients on `board`, each with its handshake done (see [`join`]).
    pub async fn join(server: &TestServer, board: &str) -> anyhow::Result<Pair> {
        let url = server.ws_url(board);
        Ok(Pair {
            a: join(&url).await?,
            b: join(&url).await?,
        })
    }

    /// A note from each side reaches the other; returns the two texts.
    pub async fn assert_syncs(&self, label: &str) -> anyhow::Result<[String; 2]> {
        let (from_a, from_b) = (format!("{label} from a"), format!("{label} from b"));
        add_note(&self.a, &from_a);
        wait_for_text(&self.b, &from_a).await?;
        add_note(&self.b, &from_b);
        wait_for_text(&self.a, &from_b).await?;
        Ok([from_a, from_b])
    }

    /// Waits until both clients' edits are on disk.
    pub async fn save(&self) -> anyhow::Result<()> {
        self.a.save().await?;
        self.b.save().await
    }
}

/// Connects and completes the handshake both ways. `Client::join` returns once the server
/// answered our sync step 1, but a room that is still loading greets the connection (its own
/// step 1, which the client answers) only afterwards; the "saved" reply comes after that
/// greeting, so once it is in, the client sends nothing on its own.
pub async fn join(url: &str) -> anyhow::Result<Client> {
    let client = Client::join(url).await?;
    client.save().await.context("handshake")?;
    Ok(client)
}

/// Adds a note with `text` on `client`'s replica (sent to the server like any edit); returns
/// its id.
pub fn add_note(client: &Client, text: &str) -> String {
    client
        .edit(|board, txn| {
            let note = NewNote {
                text: text.to_owned(),
                ..NewNote::default()
            };
            board.create_note(txn, note)
        })
        .expect("a valid note")
}

/// The texts of a board's items.
pub fn texts(snapshot: &BoardSnapshot) -> BTreeSet<String> {
    snapshot.items.values().map(|i| i.text.clone()).collect()
}

/// Waits until `client` has a note with `text`. The error names the texts it has (boards in
/// these tests may hold megabyte notes, which are abbreviated).
pub async fn wait_for_text(client: &Client, text: &str) -> anyhow::Result<()> {
    match client.wait_until(|s| texts(s).contains(text)).await {
        Ok(_) => Ok(()),
        Err(_) => {
            let have: Vec<String> = texts(&client.snapshot())
                .into_iter()
                .map(|t| {
                    if t.len() > 40 {
                        let head: String = t.chars().take(20).collect();
                        format!("{head}... ({} bytes)", t.len())
                    } else {
                        t
                    }
                })
                .collect();
            bail!(
                "note {text:?} did not arrive (closed: {:?}); the board has {have:?}",
                client.state().closed
            )
        }
    }
}

/// Opens a connection to `board`, sends `frame`, and returns how the server closed it.
pub async fn close_after(
    server: &TestServer,
    board: &str,
    frame: WsMessage,
) -> anyhow::Result<(u16, String)> {
    let client = join(&server.ws_url(board)).await?;
    client.send_ws(frame);
    let closed = client.closed().await;
    client.abort();
    closed
}

/// As [`close_after`] for many binary frames, each on its own connection, a few at a time.
/// Returns the close (code, reason) of each, in order.
pub async fn close_after_each(
    server: &TestServer,
    board: &str,
    frames: Vec<Vec<u8>>,
) -> anyhow::Result<Vec<(u16, String)>> {
    let url = server.ws_url(board);
    let mut out = vec![None; frames.len()];
    let mut frames = frames.into_iter().enumerate();
    let mut running = JoinSet::new();
    loop {
        while running.len() < CONCURRENT {
            let Some((i, frame)) = frames.next() else {
                break;
            };
            let url = url.clone();
            running.spawn(async move {
                let client = join(&url).await?;
                client.send_raw(frame);
                let closed = client.closed().await;
                client.abort();
                anyhow::Ok((i, closed?))
            });
        }
        let Some(done) = running.join_next().await else {
            break;
        };
        let (i, closed) = done??;
        out[i] = Some(closed);
    }
    Ok(out.into_iter().map(|c| c.unwrap_or_default()).collect())
}

/// The current value of metric `name` on `server`'s `/metrics`.
pub async fn metric(server: &TestServer, name: &str) -> anyhow::Result<f64> {
    http::metric(server.addr(), name).await
}

/// Waits until metric `name` on `server`'s `/metrics` satisfies `pred`; returns its value.
pub async fn wait_metric(
    server: &TestServer,
    name: &str,
    pred: impl Fn(f64) -> bool,
) -> anyhow::Result<f64> {
    http::wait_metric(server.addr(), name, pred).await
}

/// Fails unless `server` answers `/healthz` with 200.
pub async fn assert_healthy(server: &TestServer) -> anyhow::Result<()> {
    let res = http::get(server.addr(), "/healthz")
        .await
        .context("server is down")?;
    ensure!(
        res.status == 200,
        "/healthz answered {}: {}",
        res.status,
        res.body
    );
    Ok(())
}
