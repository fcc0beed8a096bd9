//! Impact/effort on a board made from the impact/effort template, in real Chromium: a round
//! started with nothing selected scores every note, and its reveal moves each note to the
//! team's medians inside the whole matrix (the box around the four quadrant frames): high
//! impact on top, low effort on the left.

use anyhow::{Context, ensure};
use huddle_shared::model::{ItemKind, NewNote};
use huddle_tests::browser;
use huddle_tests::client::Client;
use huddle_tests::http;
use huddle_tests::person::Person;
use huddle_tests::server::TestServer;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reveal_places_each_note_at_the_medians_in_the_matrix() -> anyhow::Result<()> {
    browser::ensure_client_built()?;
    let (server, _data) = TestServer::start()?;
    let res = http::post_json(
        server.addr(),
        "/api/boards",
        &json!({ "title": "Matrix", "template": "impact_effort" }),
    )
    .await?;
    ensure!(res.status == 201, "create: {} {}", res.status, res.body);
    let board = res.json()?["id"].as_str().context("an id")?.to_owned();

    // A note in the middle of the matrix, written on the wire.
    let writer = Client::join(&server.ws_url(&board)).await?;
    let frames: Vec<[f64; 4]> = writer
        .snapshot()
        .items
        .values()
        .filter(|i| i.kind == ItemKind::Frame)
        .map(|i| [i.pos[0], i.pos[1], i.size[0], i.size[1]])
        .collect();
    ensure!(frames.len() == 4, "the template's quadrants: {frames:?}");
    let x0 = frames.iter().map(|f| f[0]).fold(f64::INFINITY, f64::min);
    let y0 = frames.iter().map(|f| f[1]).fold(f64::INFINITY, f64::min);
    let x1 = frames
        .iter()
        .map(|f| f[0] + f[2])
        .fold(f64::NEG_INFINITY, f64::max);
    let y1 = frames
        .iter()
        .map(|f| f[1] + f[3])
        .fold(f64::NEG_INFINITY, f64::max);
    let note = writer.edit(|b, txn| {
        b.create_note(
            txn,
            NewNote {
                pos: [(x0 + x1) / 2.0 - 100.0, (y0 + y1) / 2.0 - 100.0],
                text: "Search".into(),
                ..NewNote::default()
            },
        )
    })?;
    writer.save().await?;

    let ann = Person::join("Ann", &server, &board).await?;
    ann.wait(
        "the note on the page",
        &format!("!!huddle.snapshot().items[{}]", json!(note)),
    )
    .await?;
    ann.page.press("v", 0).await?;
    ann.wait(
        "the Vote dialog",
        "!document.querySelector('#vote-dialog').hidden",
    )
    .await?;
    ann.page
        .eval(
            "(() => { const k = document.querySelector('#vote-kind'); k.value = 'impact_effort';
                k.dispatchEvent(new Event('change', { bubbles: true })); return true; })()",
        )
        .await?;
    ann.page.click("#vote-start").await?;
    ann.wait(
        "the score pickers",
        "document.querySelectorAll('#round-scores select').length === 2",
    )
    .await?;
    // High impact, low effort: the top-left corner.
    for (axis, value) in [("impact", 5), ("effort", 1)] {
        ann.page
            .eval(&format!(
                "(() => {{ const s = document.querySelector('#round-scores [data-item={}][data-axis={axis}]');
                    s.value = '{value}'; s.dispatchEvent(new Event('change', {{ bubbles: true }}));
                    return true; }})()",
                json!(note)
            ))
            .await?;
        ann.wait(
            "the score kept",
            &format!(
                "huddle.rounds().open.some(v => v.mine[{}]?.score?.{axis} === {value})",
                json!(note)
            ),
        )
        .await?;
    }
    ann.page.click("#round-reveal").await?;
    ann.wait(
        "the note in the matrix's top-left corner",
        &format!(
            "(() => {{ const p = huddle.snapshot().items[{}].pos;
                return Math.abs(p[0] - {x0}) < 0.5 && Math.abs(p[1] - {y0}) < 0.5; }})()",
            json!(note)
        ),
    )
    .await?;
    ann.assert_no_errors()
}
