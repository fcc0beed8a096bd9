//! The board's essentials in Firefox (issue 16): Debian's `firefox-esr`, driven through
//! WebDriver BiDi by `puppeteer-core` (`tests/js/firefox.mjs`), against the real server: two
//! people editing (a note written in one page appears in the other), presence (a cursor), and
//! offline and back (a page cut off from the server by a proxy it goes through writes a note,
//! which reaches the other page and the server once the proxy is back). Then the server's
//! own export holds both notes.
//!
//! Needs the built client, Firefox and the npm packages (`cargo xtask test` sees to all three).

use std::time::Duration;

use anyhow::{Context, ensure};
use huddle_tests::server::TestServer;
use huddle_tests::{browser, http, js};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_people_presence_and_offline_in_firefox() -> anyhow::Result<()> {
    browser::ensure_client_built()?;
    let firefox = browser::firefox_bin()?;
    let (server, _data) = TestServer::start()?;
    let board = http::create_board(server.addr(), "Firefox").await?;
    let page_url = server.page_url(&board);
    let firefox = firefox.to_string_lossy();
    let artifacts = huddle_tests::workspace_root().join("tests/artifacts");
    std::fs::create_dir_all(&artifacts)?;
    let shot = artifacts.join("firefox-two-people.png");
    let _ = std::fs::remove_file(&shot);
    let lines = js::run_script(
        "firefox.mjs",
        &[&firefox, &page_url, &shot.to_string_lossy()],
        Duration::from_secs(240),
    )
    .await?;
    let seen = lines.last().context("firefox.mjs printed nothing")?;
    println!("{seen}");
    let both = ["Written in Firefox", "Written offline in Firefox"];
    for who in ["a", "b"] {
        ensure!(
            seen[who] == serde_json::json!(both),
            "page {who} ended with {}",
            seen[who]
        );
    }

    ensure!(
        std::fs::read(&shot)?.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is not a PNG",
        shot.display()
    );

    let export = http::get(server.addr(), &format!("/api/boards/{board}/export.json"))
        .await?
        .json()?;
    let mut texts: Vec<&str> = export["items"]
        .as_object()
        .context("items")?
        .values()
        .filter_map(|i| i["text"].as_str())
        .collect();
    texts.sort();
    ensure!(texts == both, "the server holds {texts:?}");
    Ok(())
}
