//! A server safe on a team's network: other sites' pages are turned away (test 3), clients
//! that stall in their headers are dropped while honest ones are served, rate limits and caps
//! answer 429 with `Retry-After` and create nothing past the limit (test 7), and every page
//! carries the security headers it works under.

use std::time::Duration;

use anyhow::{Context, ensure};
use huddle_shared::model::Board;
use huddle_tests::browser::{self, Browser};
use huddle_tests::client::{Client, WAIT};
use huddle_tests::http::{self, metric};
use huddle_tests::server::{DataDir, TestServer};
use huddle_tests::visitor::Visitor;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const EVIL: &str = "http://evil.example";

async fn server_with(args: &[&str]) -> anyhow::Result<(TestServer, DataDir)> {
    let data = DataDir::new();
    let server = TestServer::start_on(data.path(), args)?;
    Ok((server, data))
}

/// Test 3: a WebSocket upgrade, a POST and a DELETE from another site's page get 403 (and are
/// counted); the server's own pages, clients without `Origin`, and `--allowed-origin` work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_sites_pages_are_turned_away() -> anyhow::Result<()> {
    for allowed in [false, true] {
        let args: &[&str] = if allowed {
            &["--allowed-origin", EVIL]
        } else {
            &[]
        };
        let (server, _data) = server_with(args).await?;
        let owner = Visitor::arrive(&server).await?;
        let board = owner.create_board("Ours").await?;
        let expected = if allowed { 201 } else { 403 };

        let created = owner
            .call_with(
                "POST",
                "/api/boards",
                Some(json!({"title": "x"})),
                &[("Origin", EVIL)],
            )
            .await?;
        ensure!(
            created.status == expected,
            "POST from {EVIL}: {} {}",
            created.status,
            created.body
        );
        let upgrade = Client::connect_as(
            &format!("{}/{board}", server.ws_base()),
            Board::new(),
            &[("Cookie", &owner.cookie), ("Origin", EVIL)],
        )
        .await;
        match allowed {
            true => ensure!(upgrade.is_ok(), "an allowed origin's WebSocket was refused"),
            false => ensure!(
                upgrade
                    .as_ref()
                    .is_err_and(|e| format!("{e:#}").contains("403")),
                "a WebSocket from {EVIL} was not refused with 403"
            ),
        }
        let own = format!("http://{}", server.addr());
        let same = Client::connect_as(
            &format!("{}/{board}", server.ws_base()),
            Board::new(),
            &[("Cookie", &owner.cookie), ("Origin", &own)],
        )
        .await;
        ensure!(
            same.is_ok(),
            "the server's own page was refused a WebSocket"
        );
        let deleted = owner
            .call_with(
                "DELETE",
                &format!("/api/boards/{board}"),
                None,
                &[("Origin", EVIL)],
            )
            .await?;
        ensure!(
            deleted.status == if allowed { 204 } else { 403 },
            "DELETE from {EVIL}: {} {}",
            deleted.status,
            deleted.body
        );
        if !allowed {
            ensure!(
                deleted.json()?["error"]
                    .as_str()
                    .is_some_and(|e| e.contains("--allowed-origin")),
                "the refusal does not say how to allow it: {}",
                deleted.body
            );
            ensure!(metric(server.addr(), "huddle_refused_origins_total").await? == 3.0);
            // The board is still there; the same calls from its own page work.
            let mine = owner
                .call_with(
                    "DELETE",
                    &format!("/api/boards/{board}"),
                    None,
                    &[("Origin", &own)],
                )
                .await?;
            ensure!(
                mine.status == 204,
                "same-origin DELETE: {} {}",
                mine.status,
                mine.body
            );
        }
    }
    Ok(())
}

/// Test 7a: a client that sends half a request and stalls is dropped within the header
/// timeout, 200 of them at once, while honest clients are served all along.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_headers_are_dropped_and_honest_clients_served() -> anyhow::Result<()> {
    let (server, _data) = server_with(&["--header-read-timeout-secs", "1"]).await?;
    let mut stalled = Vec::new();
    for _ in 0..200 {
        let mut tcp = TcpStream::connect(server.addr()).await?;
        tcp.write_all(b"GET /api/me HTTP/1.1\r\nHost: x\r\nX-Half: ")
            .await?;
        stalled.push(tcp);
    }
    // Honest clients, meanwhile.
    for _ in 0..5 {
        let res = http::get(server.addr(), "/healthz").await?;
        ensure!(res.status == 200, "healthz: {}", res.status);
    }
    // Each stalled socket is closed by the server: reading ends (0 bytes, or a 408) well
    // within a generous multiple of the 1 s timeout.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    for (i, tcp) in stalled.iter_mut().enumerate() {
        let mut buf = [0u8; 256];
        let read = tokio::time::timeout_at(deadline, async {
            loop {
                match tcp.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => continue, // a 408 answer, then the close
                }
            }
        })
        .await;
        ensure!(
            read.is_ok(),
            "stalled client {i} still connected after 15 s"
        );
    }
    let res = http::get(server.addr(), "/healthz").await?;
    ensure!(res.status == 200, "healthz after: {}", res.status);
    Ok(())
}

/// Test 7b: a burst of creations over the limit gets 429 with `Retry-After`, and nothing is
/// created past the limit; joins over their limit get 429 too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_answer_429_and_create_nothing_more() -> anyhow::Result<()> {
    let (server, _data) = server_with(&[
        "--create-per-minute",
        "1",
        "--create-burst",
        "5",
        "--joins-per-minute",
        "1",
        "--join-burst",
        "3",
    ])
    .await?;
    let ana = Visitor::arrive(&server).await?;
    let mut statuses = Vec::new();
    for i in 0..9 {
        let res = ana
            .call(
                "POST",
                "/api/boards",
                Some(json!({"title": format!("b{i}")})),
            )
            .await?;
        if res.status == 429 {
            let retry: u64 = res
                .header("retry-after")
                .context("429 without Retry-After")?
                .parse()?;
            ensure!((1..=60).contains(&retry), "Retry-After {retry}");
            ensure!(
                res.json()?["error"]
                    .as_str()
                    .is_some_and(|e| e.contains("too many"))
            );
        }
        statuses.push(res.status);
    }
    ensure!(
        statuses == [201, 201, 201, 201, 201, 429, 429, 429, 429],
        "{statuses:?}"
    );
    let import = ana
        .call_with("POST", "/api/boards/import?format=json", None, &[])
        .await?;
    ensure!(
        import.status == 429,
        "import over the limit: {}",
        import.status
    );
    // Nothing past the limit exists: the admin sees every board on the server.
    let all = http::get(server.addr(), "/api/boards").await?.json()?;
    ensure!(all.as_array().map(Vec::len) == Some(5), "boards: {all}");

    let board = all[0]["id"].as_str().context("id")?.to_owned();
    let mut joined = Vec::new();
    for i in 0..3 {
        joined.push(
            ana.connect(&board, None)
                .await
                .with_context(|| format!("join {i}"))?,
        );
    }
    let over = ana.connect(&board, None).await;
    ensure!(
        over.as_ref()
            .is_err_and(|e| format!("{e:#}").contains("429")),
        "a join over the limit was let in"
    );
    ensure!(metric(server.addr(), "huddle_rate_limited_total").await? >= 6.0);
    Ok(())
}

/// Test 7c: connections per address and WebSockets per person are capped (429), and a slot
/// comes back when its connection closes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_per_address_and_websockets_per_person_are_capped() -> anyhow::Result<()> {
    let (server, _data) = server_with(&[
        "--max-connections-per-ip",
        "6",
        "--max-websockets-per-person",
        "2",
    ])
    .await?;
    let ana = Visitor::arrive(&server).await?;
    let board = ana.create_board("Capped").await?;
    let first = ana.join(&board, None).await?;
    let _second = ana.join(&board, None).await?;
    let third = ana.connect(&board, None).await;
    ensure!(
        third
            .as_ref()
            .is_err_and(|e| format!("{e:#}").contains("429")),
        "a third WebSocket of one person was let in"
    );
    first.close().await;
    tokio::time::timeout(WAIT, async {
        loop {
            if let Ok(client) = ana.connect(&board, None).await {
                return client;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .context("the closed WebSocket's slot did not come back")?;

    // Two WebSockets hold two of the six connections; four idle sockets take the rest.
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(TcpStream::connect(server.addr()).await?);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut over = TcpStream::connect(server.addr()).await?;
    over.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await?;
    let mut answer = String::new();
    tokio::time::timeout(WAIT, over.read_to_string(&mut answer)).await??;
    ensure!(
        answer.starts_with("HTTP/1.1 429"),
        "over the cap: {answer:?}"
    );
    ensure!(
        answer.to_ascii_lowercase().contains("retry-after"),
        "{answer}"
    );
    drop(idle);
    tokio::time::timeout(WAIT, async {
        loop {
            if http::get(server.addr(), "/healthz")
                .await
                .is_ok_and(|r| r.status == 200)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .context("closed connections' slots did not come back")?;
    ensure!(metric(server.addr(), "huddle_refused_connections_total").await? >= 1.0);
    Ok(())
}

/// Pages carry a Content-Security-Policy, nosniff, no referrer and no framing (unless
/// `--allow-embedding`); `/favicon.ico` is an icon; and the board page runs under the
/// policy in Chromium without a single violation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_carry_security_headers_and_work_under_them() -> anyhow::Result<()> {
    browser::ensure_client_built()?;
    let (server, _data) = TestServer::start()?;
    for path in ["/", "/b/anything", "/style.css", "/api/me"] {
        let res = http::get(server.addr(), path).await?;
        let csp = res.header("content-security-policy").unwrap_or_default();
        ensure!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval'")
                && csp.contains("frame-ancestors 'none'")
                && csp.contains("object-src 'none'"),
            "{path}: CSP {csp:?}"
        );
        ensure!(
            res.header("x-content-type-options") == Some("nosniff"),
            "{path}"
        );
        ensure!(
            res.header("referrer-policy") == Some("no-referrer"),
            "{path}"
        );
        ensure!(res.header("x-frame-options") == Some("DENY"), "{path}");
    }
    let icon = http::get(server.addr(), "/favicon.ico").await?;
    ensure!(
        icon.status == 200 && icon.header("content-type") == Some("image/svg+xml"),
        "favicon: {} {:?}",
        icon.status,
        icon.header("content-type")
    );

    let browser = Browser::launch().await?;
    let owner = Visitor::arrive(&server).await?;
    let board = owner.create_board("Under CSP").await?;
    // Every violation of the policy fires `securitypolicyviolation` in the page: collect them
    // from the first script on.
    let page = browser.new_page("about:blank").await?;
    let collect = "window.__violations = []; document.addEventListener('securitypolicyviolation', \
                   (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));";
    page.call(
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": collect }),
    )
    .await?;
    page.goto(&server.page_url(&board)).await?;
    page.wait_for(
        "['online', 'saved'].includes(document.querySelector('#status')?.textContent)",
        WAIT,
    )
    .await
    .context("the board page did not connect under the CSP")?;
    // Draw and type a little, so the page's styles and scripts all run.
    page.eval("huddle.snapshot() && true").await?;
    let violations = page.eval("window.__violations").await?;
    ensure!(violations == json!([]), "CSP violations: {violations}");
    // The watch works: an inline script is a violation.
    page.eval("document.body.appendChild(Object.assign(document.createElement('script'), { textContent: '1' })) && true")
        .await?;
    page.wait_for("window.__violations.length > 0", WAIT)
        .await
        .context("an inline script was not reported as a violation")?;

    let (embeddable, _data) = server_with(&["--allow-embedding"]).await?;
    let res = http::get(embeddable.addr(), "/").await?;
    let csp = res.header("content-security-policy").unwrap_or_default();
    ensure!(!csp.contains("frame-ancestors"), "--allow-embedding: {csp}");
    ensure!(
        res.header("x-frame-options").is_none(),
        "--allow-embedding: X-Frame-Options"
    );
    Ok(())
}
