//! Webhooks on the wire: a receiver on 127.0.0.1 gets the board's events, each signed with
//! the webhook's secret; a receiver that is down gets tries with a growing wait between them,
//! and the room keeps serving its people meanwhile; the owner alone manages webhooks, and
//! internal addresses are refused unless the admin allows them.

use std::time::Duration;

use anyhow::{Context, ensure};
use huddle_shared::model::NewNote;
use huddle_shared::notify::signature;
use huddle_shared::rounds::{Command, Kind, Settings};
use huddle_tests::receiver::{Received, Receiver};
use huddle_tests::rounds::{Tab, Team, add_notes, dots};
use huddle_tests::server::{DataDir, TestServer};
use huddle_tests::visitor::Visitor;
use serde_json::{Value, json};

const ALL_EVENTS: [&str; 4] = [
    "decision.recorded",
    "round.revealed",
    "mention",
    "board.shared",
];

async fn add_webhook(
    owner: &Visitor,
    board: &str,
    kind: &str,
    url: &str,
    events: &[&str],
) -> anyhow::Result<Value> {
    let res = owner
        .call(
            "POST",
            &format!("/api/boards/{board}/webhooks"),
            Some(json!({ "kind": kind, "url": url, "events": events })),
        )
        .await?;
    ensure!(
        res.status == 201,
        "adding a webhook: {} {}",
        res.status,
        res.body
    );
    res.json()
}

async fn log(owner: &Visitor, board: &str) -> anyhow::Result<Value> {
    let res = owner
        .call("GET", &format!("/api/boards/{board}/webhooks"), None)
        .await?;
    ensure!(
        res.status == 200,
        "the webhook log: {} {}",
        res.status,
        res.body
    );
    res.json()
}

/// Waits (a minute at most) until the delivery log satisfies `pred`.
async fn wait_log(
    owner: &Visitor,
    board: &str,
    what: &str,
    pred: impl Fn(&[Value]) -> bool,
) -> anyhow::Result<Vec<Value>> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let deliveries = log(owner, board).await?["deliveries"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if pred(&deliveries) {
            return Ok(deliveries);
        }
        ensure!(
            tokio::time::Instant::now() < deadline,
            "waited in vain for {what}; the log is {deliveries:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn events_of(got: &[Received]) -> Vec<String> {
    got.iter()
        .filter_map(|r| r.header("x-huddle-event").map(str::to_owned))
        .collect()
}

/// A dot vote on `notes` by the owner's tab, one ballot from `voter`, revealed, and a
/// decision recorded from it; the round's id.
async fn vote_and_decide(owner: &Tab, voter: &Tab, notes: &[String]) -> anyhow::Result<String> {
    let settings = Settings {
        title: "Which first?".into(),
        ..Settings::new(Kind::Dots)
    };
    let targets: Vec<&str> = notes.iter().map(String::as_str).collect();
    let round = owner.open(settings, &targets).await?;
    voter.cast(&round, dots([(targets[0], 2)])).await?;
    owner.reveal(&round).await?;
    owner
        .ack(Command::Decide {
            text: "Saved cards first".into(),
            round: Some(round.clone()),
            corrects: None,
        })
        .await?;
    Ok(round)
}

/// Every event reaches a generic receiver on 127.0.0.1 with a valid signature of its exact
/// body, the event's name in a header and in the body, and the board's link; a Mattermost
/// receiver gets its `{"text"}` for the events it chose only. The log shows each delivered
/// at the first try. Slack refuses plain HTTP; a non-owner cannot see or add webhooks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_gets_the_events_with_a_valid_signature() -> anyhow::Result<()> {
    let data = DataDir::new();
    let server = TestServer::start_on(data.path(), &["--webhooks-allow-private"])?;
    let receiver = Receiver::start().await?;
    let team = Team::start(&server, "Olga Owner").await?;
    let board = team.board.clone();

    let generic = add_webhook(
        &team.owner,
        &board,
        "generic",
        &receiver.url("/generic"),
        &ALL_EVENTS,
    )
    .await?;
    let secret = generic["secret"].as_str().context("no secret")?.to_owned();
    ensure!(secret.len() >= 32, "a short secret: {secret:?}");
    add_webhook(
        &team.owner,
        &board,
        "mattermost",
        &receiver.url("/mm"),
        &["decision.recorded"],
    )
    .await?;
    let slack = team
        .owner
        .call(
            "POST",
            &format!("/api/boards/{board}/webhooks"),
            Some(json!({ "kind": "slack", "url": receiver.url("/slack"), "events": ["mention"] })),
        )
        .await?;
    ensure!(
        slack.status == 400 && slack.body.contains("https"),
        "Slack over plain HTTP: {} {}",
        slack.status,
        slack.body
    );

    // Board shared: an editor joins through the link.
    let ed = team.member(&server, "editor", "Ed Editor").await?;
    let for_ed = ed
        .call("GET", &format!("/api/boards/{board}/webhooks"), None)
        .await?;
    ensure!(
        for_ed.status == 403,
        "an editor reads the webhooks: {} {}",
        for_ed.status,
        for_ed.body
    );
    let by_ed = ed
        .call(
            "POST",
            &format!("/api/boards/{board}/webhooks"),
            Some(json!({ "kind": "generic", "url": receiver.url("/evil"), "events": ALL_EVENTS })),
        )
        .await?;
    ensure!(
        by_ed.status == 403,
        "an editor adds a webhook: {} {}",
        by_ed.status,
        by_ed.body
    );

    // A round revealed, a decision recorded.
    let owner = team.tab(&server, &team.owner).await?;
    let eds = team.tab(&server, &ed).await?;
    let notes = add_notes(&owner, &["Pay with saved card", "Guest checkout"]).await?;
    let round = vote_and_decide(&owner, &eds, &notes).await?;

    let got = receiver
        .wait_for("three events and the Mattermost decision", |got| {
            let events = events_of(got);
            ["board.shared", "round.revealed", "decision.recorded"]
                .iter()
                .all(|e| events.iter().filter(|x| x == e).count() >= 1)
                && got.iter().any(|r| r.path == "/mm")
        })
        .await?;
    let generic_got: Vec<&Received> = got.iter().filter(|r| r.path == "/generic").collect();
    ensure!(
        generic_got.len() == 3,
        "the generic receiver got {generic_got:#?}"
    );
    for r in &generic_got {
        ensure!(r.method == "POST", "{r:?}");
        ensure!(
            r.header("content-type") == Some("application/json"),
            "{r:?}"
        );
        let header = r.header(signature::HEADER).context("no signature")?;
        let t = signature::verify(&secret, header, &r.body).with_context(|| {
            format!(
                "a bad signature {header:?} on {}",
                String::from_utf8_lossy(&r.body)
            )
        })?;
        let now = huddle_tests::rounds::now_ms() / 1000;
        ensure!(t <= now && now - t < 600, "signed at {t}, now {now}");
        ensure!(signature::verify("not the secret", header, &r.body).is_none());
        let body = r.json()?;
        ensure!(
            Some(body["event"].as_str().unwrap_or_default()) == r.header("x-huddle-event"),
            "{body}"
        );
        ensure!(
            body["delivery"].as_str() == r.header("x-huddle-delivery"),
            "{body}"
        );
        ensure!(body["board"]["id"] == board.as_str(), "{body}");
        ensure!(body["board"]["title"] == "Deciding together", "{body}");
        let url = body["board"]["url"].as_str().unwrap_or_default();
        ensure!(
            url == format!("http://{}/b/{board}", server.addr()),
            "{body}"
        );
    }
    let by_event = |e: &str| -> anyhow::Result<Value> {
        generic_got
            .iter()
            .find(|r| r.header("x-huddle-event") == Some(e))
            .with_context(|| format!("no {e}"))?
            .json()
    };
    let shared = by_event("board.shared")?;
    ensure!(
        shared["data"]["name"] == "Ed Editor" && shared["data"]["role"] == "editor",
        "{shared}"
    );
    let revealed = by_event("round.revealed")?;
    ensure!(
        revealed["data"]["round"] == round.as_str() && revealed["data"]["voters"] == 1,
        "{revealed}"
    );
    ensure!(revealed["data"]["title"] == "Which first?", "{revealed}");
    let decided = by_event("decision.recorded")?;
    ensure!(
        decided["data"]["text"] == "Saved cards first" && decided["data"]["by"] == "Olga Owner",
        "{decided}"
    );
    ensure!(
        !decided.to_string().contains(&team.owner.id) && !shared.to_string().contains(&ed.id),
        "a person id went to a receiver: {decided} {shared}"
    );
    let mm: Vec<&Received> = got.iter().filter(|r| r.path == "/mm").collect();
    ensure!(mm.len() == 1, "Mattermost chose only decisions: {mm:#?}");
    let text = mm[0].json()?["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    ensure!(
        text.contains("[Deciding together](http://") && text.contains("Saved cards first"),
        "{text}"
    );
    ensure!(
        mm[0].header(signature::HEADER).is_none(),
        "a chat webhook was signed"
    );

    let deliveries = wait_log(&team.owner, &board, "four delivered", |d| {
        d.len() == 4 && d.iter().all(|d| d["status"] == "delivered")
    })
    .await?;
    for d in &deliveries {
        ensure!(d["attempts"] == 1 && d["http_status"] == 200, "{d}");
    }

    // The test button: a ping, signed as well.
    let hook = generic["id"].as_str().context("no id")?;
    let ping = team
        .owner
        .call(
            "POST",
            &format!("/api/boards/{board}/webhooks/{hook}/test"),
            None,
        )
        .await?;
    ensure!(ping.status == 202, "test: {} {}", ping.status, ping.body);
    let got = receiver
        .wait_for("a ping", |got| events_of(got).iter().any(|e| e == "ping"))
        .await?;
    let ping = got
        .iter()
        .find(|r| r.header("x-huddle-event") == Some("ping"))
        .context("ping")?;
    ensure!(
        signature::verify(
            &secret,
            ping.header(signature::HEADER).unwrap_or_default(),
            &ping.body
        )
        .is_some()
    );

    // Deleted, it gets nothing more.
    let del = team
        .owner
        .call(
            "DELETE",
            &format!("/api/boards/{board}/webhooks/{hook}"),
            None,
        )
        .await?;
    ensure!(del.status == 204, "delete: {} {}", del.status, del.body);
    let before = receiver.received().len();
    owner
        .ack(Command::Decide {
            text: "Another".into(),
            round: None,
            corrects: None,
        })
        .await?;
    // The Mattermost webhook still gets this one: once it has, the generic one would have too.
    receiver
        .wait_for("the second Mattermost decision", |got| {
            got.iter().filter(|r| r.path == "/mm").count() == 2
        })
        .await?;
    let after: Vec<Received> = receiver.received().into_iter().skip(before).collect();
    ensure!(
        after.iter().all(|r| r.path == "/mm"),
        "a deleted webhook got {after:#?}"
    );
    Ok(())
}

/// A receiver that is down (nothing listens on its port) and one that never answers: the
/// deliveries are tried again and again, each wait at least twice the one before (200 ms,
/// 400 ms, ...), while a person's edits keep arriving at another person as before. When the
/// receiver comes back, the delivery arrives; the log shows how many tries it took.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_is_down_gets_retries_and_the_room_keeps_serving() -> anyhow::Result<()> {
    let data = DataDir::new();
    let server = TestServer::start_on(
        data.path(),
        &[
            "--webhooks-allow-private",
            "--webhook-retry-ms",
            "200",
            "--webhook-retry-cap-secs",
            "3",
            "--webhook-attempts",
            "30",
        ],
    )?;
    // A port nothing listens on: take one, then let it go.
    let down_addr = {
        let probe = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        probe.local_addr()?
    };
    // A receiver that accepts connections and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let silent_url = format!("http://{}/hook", silent.local_addr()?);
    let team = Team::start(&server, "Olga Owner").await?;
    let board = team.board.clone();
    let down_hook = add_webhook(
        &team.owner,
        &board,
        "generic",
        &format!("http://{down_addr}/hook"),
        &["decision.recorded"],
    )
    .await?;
    let down_hook = down_hook["id"].as_str().context("no id")?.to_owned();
    add_webhook(
        &team.owner,
        &board,
        "generic",
        &silent_url,
        &["decision.recorded"],
    )
    .await?;

    let ed = team.member(&server, "editor", "Ed Editor").await?;
    let owner = team.tab(&server, &team.owner).await?;
    let eds = team.tab(&server, &ed).await?;
    owner
        .ack(Command::Decide {
            text: "Ship it".into(),
            round: None,
            corrects: None,
        })
        .await?;

    // While the deliveries fail, the owner edits and each edit reaches Ed.
    let mut edits = 0;
    let mut tries_seen = Vec::new();
    loop {
        let id = owner.edit(|b, txn| {
            b.create_note(
                txn,
                NewNote {
                    pos: [edits as f64 * 10.0, 0.0],
                    text: format!("edit {edits}"),
                    ..NewNote::default()
                },
            )
        })?;
        eds.client()
            .wait_until(|s| s.items.contains_key(&id))
            .await
            .with_context(|| format!("edit {edits} did not reach the other person"))?;
        edits += 1;
        if edits % 20 == 0 {
            let deliveries = log(&team.owner, &board).await?["deliveries"].clone();
            let down = deliveries
                .as_array()
                .and_then(|d| d.iter().find(|d| d["webhook"] == down_hook.as_str()))
                .cloned();
            if let Some(d) = down
                && let (Some(n), Some(at)) = (d["attempts"].as_u64(), d["last_try"].as_u64())
                && tries_seen.last().map(|(m, _)| *m) != Some(n)
            {
                tries_seen.push((n, at));
            }
            if tries_seen.last().is_some_and(|(n, _)| *n >= 5) {
                break;
            }
        }
        ensure!(
            edits < 100_000,
            "the deliveries were never tried five times: {tries_seen:?}"
        );
    }
    let deliveries = log(&team.owner, &board).await?["deliveries"].clone();
    ensure!(
        deliveries
            .as_array()
            .is_some_and(|d| d.len() == 2 && d.iter().all(|d| d["status"] == "pending")),
        "both deliveries should still be pending: {deliveries:#}"
    );
    owner.save().await?;
    ensure!(edits >= 20, "only {edits} edits");

    // The down receiver comes back on its port; the next try delivers.
    let back = Receiver::start_on(down_addr).await?;
    let got = back
        .wait_for("the decision, once back", |got| !got.is_empty())
        .await?;
    ensure!(
        got[0].header("x-huddle-event") == Some("decision.recorded"),
        "{got:#?}"
    );
    let deliveries = wait_log(
        &team.owner,
        &board,
        "the delivery to the receiver that came back",
        |d| d.iter().any(|d| d["status"] == "delivered"),
    )
    .await?;
    let delivered = deliveries
        .iter()
        .find(|d| d["status"] == "delivered")
        .context("delivered")?;
    ensure!(delivered["webhook"] == down_hook.as_str(), "{delivered}");
    let attempts = delivered["attempts"].as_u64().unwrap_or(0);
    ensure!(
        attempts >= 6,
        "delivered after {attempts} tries: {delivered}"
    );
    // The waits grew: each try came at least the backoff's wait after the one before. Only
    // lower bounds: a slow machine makes waits longer, never shorter.
    // The silent receiver's try ends at the server's timeout (10 s), and is tried again.
    wait_log(
        &team.owner,
        &board,
        "the silent receiver's try to time out",
        |d| {
            d.iter().any(|d| {
                d["webhook"] != down_hook.as_str()
                    && d["status"] == "pending"
                    && d["attempts"].as_u64().is_some_and(|n| n >= 1)
                    && d["error"].as_str().is_some_and(|e| e.contains("timed out"))
            })
        },
    )
    .await?;
    check_waits(&tries_seen)?;
    eprintln!(
        "{edits} edits reached the other person while the deliveries failed; tries seen: {tries_seen:?}"
    );
    drop(silent);
    Ok(())
}

/// `(tries, time of the last try)` as the log showed them: between try n and try m (n < m)
/// at least the sum of the backoff's waits 200 ms * 2^(k-1), k = n..m, capped at 3 s.
fn check_waits(seen: &[(u64, u64)]) -> anyhow::Result<()> {
    let wait = |k: u64| (200u64 << (k - 1).min(20)).min(3000);
    for pair in seen.windows(2) {
        let ((n, t0), (m, t1)) = (pair[0], pair[1]);
        if n == 0 {
            continue;
        }
        let least: u64 = (n..m).map(wait).sum();
        ensure!(
            t1 - t0 >= least,
            "tries {n} and {m} were {} ms apart, less than {least} ms: {seen:?}",
            t1 - t0
        );
    }
    ensure!(
        seen.len() >= 2,
        "too few observations of the tries: {seen:?}"
    );
    Ok(())
}

/// Without `--webhooks-allow-private`, a webhook to loopback, private or link-local addresses
/// (or `localhost`) is refused with the reason and the flag that allows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_addresses_are_refused_unless_the_admin_allows_them() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let team = Team::start(&server, "Olga Owner").await?;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://[::1]:9/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/hook",
        "http://2130706433/hook",
    ] {
        let res = team
            .owner
            .call(
                "POST",
                &format!("/api/boards/{}/webhooks", team.board),
                Some(json!({ "kind": "generic", "url": url, "events": ["mention"] })),
            )
            .await?;
        ensure!(
            res.status == 400 && res.body.contains("--webhooks-allow-private"),
            "{url}: {} {}",
            res.status,
            res.body
        );
    }
    let listed = log(&team.owner, &team.board).await?;
    ensure!(
        listed["webhooks"].as_array().is_some_and(Vec::is_empty),
        "{listed}"
    );
    ensure!(listed["allow_private"] == false, "{listed}");
    Ok(())
}

/// A delivery still pending when the server stops is sent, under the same delivery id, when
/// it starts again on the same data.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_delivery_is_sent_after_a_restart() -> anyhow::Result<()> {
    let data = DataDir::new();
    let mut server = TestServer::start_on(
        data.path(),
        &[
            "--webhooks-allow-private",
            "--webhook-retry-ms",
            "3000",
            "--webhook-attempts",
            "5",
        ],
    )?;
    let down_addr = {
        let probe = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        probe.local_addr()?
    };
    let mut team = Team::start(&server, "Olga Owner").await?;
    let board = team.board.clone();
    add_webhook(
        &team.owner,
        &board,
        "generic",
        &format!("http://{down_addr}/hook"),
        &["decision.recorded"],
    )
    .await?;
    let owner = team.tab(&server, &team.owner).await?;
    owner
        .ack(Command::Decide {
            text: "Ship it".into(),
            round: None,
            corrects: None,
        })
        .await?;
    let before = wait_log(&team.owner, &board, "the first try to fail", |d| {
        d.len() == 1 && d[0]["attempts"] == 1 && d[0]["status"] == "pending"
    })
    .await?;
    let id = before[0]["id"].as_str().context("id")?.to_owned();
    owner.close().await;
    ensure!(server.stop()? == 0, "the server did not stop cleanly");

    // The receiver is back while the server is down; the next try comes after the restart.
    let back = Receiver::start_on(down_addr).await?;
    server.restart()?;
    team.owner.come_back(&server);
    let got = back
        .wait_for("the decision after the restart", |got| !got.is_empty())
        .await?;
    ensure!(
        got[0].header("x-huddle-delivery") == Some(id.as_str()),
        "another delivery id: {got:#?}"
    );
    let after = wait_log(&team.owner, &board, "delivered after the restart", |d| {
        d.len() == 1 && d[0]["status"] == "delivered"
    })
    .await?;
    ensure!(after[0]["attempts"] == 2, "{after:#?}");
    Ok(())
}

/// Measures (not a check: run it with `--ignored --nocapture`, numbers in BENCHMARKS.md) the
/// time for a note to go from one person to another: first with no webhooks, then with ten
/// webhooks whose receivers are down or silent and 2,000 deliveries being tried again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement; see BENCHMARKS.md"]
async fn bench_round_trips_while_webhooks_fail() -> anyhow::Result<()> {
    const EDITS: usize = 1000;
    // The backoff: BENCH_WEBHOOK_RETRY_MS, doubling up to BENCH_WEBHOOK_CAP_SECS (200 ms and
    // 2 s by default: far more tries than the server's defaults, 10 s and 10 minutes, make).
    let retry_ms = std::env::var("BENCH_WEBHOOK_RETRY_MS").unwrap_or_else(|_| "200".into());
    let cap_secs = std::env::var("BENCH_WEBHOOK_CAP_SECS").unwrap_or_else(|_| "2".into());
    // BENCH_WEBHOOKS failing webhooks (10 by default, half refusing connections, half silent)
    // and BENCH_DECISIONS decisions (200) make webhooks x decisions deliveries to retry.
    let number = |name: &str, default: usize| -> usize {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (hooks, decisions) = (number("BENCH_WEBHOOKS", 10), number("BENCH_DECISIONS", 200));
    eprintln!(
        "backoff: {retry_ms} ms doubling up to {cap_secs} s; {hooks} webhooks, {decisions} decisions"
    );
    let data = DataDir::new();
    let server = TestServer::start_on(
        data.path(),
        &[
            "--webhooks-allow-private",
            "--webhook-retry-ms",
            &retry_ms,
            "--webhook-retry-cap-secs",
            &cap_secs,
            "--webhook-attempts",
            "1000",
        ],
    )?;
    let down_addr = {
        let probe = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        probe.local_addr()?
    };
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let team = Team::start(&server, "Olga Owner").await?;
    let board = team.board.clone();
    let ed = team.member(&server, "editor", "Ed Editor").await?;
    let owner = team.tab(&server, &team.owner).await?;
    let eds = team.tab(&server, &ed).await?;

    let measure = |label: &'static str| {
        let (owner, eds) = (&owner, &eds);
        async move {
            let mut times = Vec::with_capacity(EDITS);
            for i in 0..EDITS {
                let started = std::time::Instant::now();
                let id = owner.edit(|b, txn| {
                    b.create_note(
                        txn,
                        NewNote {
                            pos: [i as f64, 0.0],
                            ..NewNote::default()
                        },
                    )
                })?;
                eds.client().wait_item(&id, true).await?;
                times.push(started.elapsed());
                // Keep the board as small as before, so that both measurements see one board.
                owner.edit(|b, txn| b.delete_item(txn, &id))?;
                eds.client().wait_item(&id, false).await?;
            }
            let slowest = (0..times.len()).max_by_key(|&i| times[i]).unwrap_or(0);
            eprintln!("{label}: the slowest was note {slowest}");
            times.sort();
            let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
            eprintln!(
                "{label}: {EDITS} notes, round trip p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
                at(0.5).as_secs_f64() * 1e3,
                at(0.99).as_secs_f64() * 1e3,
                at(1.0).as_secs_f64() * 1e3
            );
            anyhow::Ok(())
        }
    };
    let decide = |from: usize| {
        let owner = &owner;
        async move {
            for i in from..from + decisions {
                owner
                    .ack(Command::Decide {
                        text: format!("decision {i}"),
                        round: None,
                        corrects: None,
                    })
                    .await?;
            }
            anyhow::Ok(())
        }
    };
    // The baseline holds as many decisions as the board will while deliveries fail.
    decide(0).await?;
    decide(decisions).await?;
    measure("no webhooks").await?;
    for i in 0..hooks {
        let url = if i % 2 == 0 {
            format!("http://{down_addr}/hook")
        } else {
            format!("http://{}/hook", silent.local_addr()?)
        };
        add_webhook(&team.owner, &board, "generic", &url, &ALL_EVENTS).await?;
    }
    decide(2 * decisions).await?;
    // BENCH_WEBHOOKS=0 measures the same twice: the noise of this comparison.
    if hooks > 0 {
        wait_log(&team.owner, &board, "deliveries being retried", |d| {
            d.iter().any(|d| d["attempts"].as_u64().unwrap_or(0) >= 2)
        })
        .await?;
    }
    measure("failing webhooks, deliveries retrying").await?;
    let log = log(&team.owner, &board).await?;
    let retried = log["deliveries"]
        .as_array()
        .map_or(0, |d| d.iter().filter(|d| d["status"] == "pending").count());
    eprintln!("pending deliveries in the last 50 of the log afterwards: {retried}");
    drop(silent);
    Ok(())
}
