//! Templates, export and import against the real server and the real `huddle` binary: boards
//! from each template, each export format over HTTP, a CSV export imported back into an equal
//! map, malformed files refused with their line and column and nothing created, and
//! `huddle export` / `huddle import` on a data directory (refused while a server holds it).

use std::collections::BTreeSet;
use std::process::Command;

use anyhow::{Context, ensure};
use huddle_shared::export::{Format, Outline, parse_board_json};
use huddle_shared::model::{BoardSnapshot, NewNote, StoryFields, StoryType};
use huddle_shared::templates::Template;
use huddle_tests::client::Client;
use huddle_tests::http::{self, Response};
use huddle_tests::server::{DataDir, TestServer, huddle_bin};
use huddle_tests::workspace_root;
use serde_json::json;

// ---- helpers --------------------------------------------------------------------------------

async fn create(server: &TestServer, title: &str, template: &str) -> anyhow::Result<String> {
    let res = http::post_json(
        server.addr(),
        "/api/boards",
        &json!({ "title": title, "template": template }),
    )
    .await?;
    ensure!(
        res.status == 201,
        "create answered {}: {}",
        res.status,
        res.body
    );
    Ok(res.json()?["id"].as_str().context("no id")?.to_owned())
}

async fn export(server: &TestServer, id: &str, format: &str) -> anyhow::Result<Response> {
    http::get(
        server.addr(),
        &format!("/api/boards/{id}/export?format={format}"),
    )
    .await
}

async fn export_board(server: &TestServer, id: &str) -> anyhow::Result<BoardSnapshot> {
    let res = export(server, id, "json").await?;
    ensure!(
        res.status == 200,
        "export answered {}: {}",
        res.status,
        res.body
    );
    Ok(parse_board_json(&res.body)?)
}

async fn board_ids(server: &TestServer) -> anyhow::Result<BTreeSet<String>> {
    let res = http::get(server.addr(), "/api/boards").await?;
    ensure!(res.status == 200, "list answered {}", res.status);
    Ok(res
        .json()?
        .as_array()
        .context("not a list")?
        .iter()
        .filter_map(|b| b["id"].as_str().map(str::to_owned))
        .collect())
}

/// The `error` of a JSON error response with `status`.
fn error_of(res: &Response, status: u16) -> anyhow::Result<String> {
    ensure!(
        res.status == status,
        "expected {status}, got {}: {}",
        res.status,
        res.body
    );
    Ok(res.json()?["error"]
        .as_str()
        .context("no error")?
        .to_owned())
}

fn golden(name: &str) -> anyhow::Result<String> {
    let path = workspace_root().join("shared/tests/golden").join(name);
    std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))
}

/// Runs the `huddle` binary; returns (success, stdout, stderr).
fn huddle(args: &[&str]) -> anyhow::Result<(bool, String, String)> {
    let out = Command::new(huddle_bin())
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .output()?;
    Ok((
        out.status.success(),
        String::from_utf8(out.stdout)?,
        String::from_utf8(out.stderr)?,
    ))
}

// ---- tests ----------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_template_makes_its_board_and_exports_come_in_three_formats() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    for template in Template::ALL {
        let id = create(&server, "Sprint 42: Checkout", template.name()).await?;
        let board = export_board(&server, &id).await?;
        assert_eq!(board.meta.template.as_deref(), Some(template.name()));
        let frames: BTreeSet<&str> = board.items.values().map(|i| i.text.as_str()).collect();
        match template {
            Template::Blank => assert!(board.items.is_empty()),
            Template::StoryMap => {
                let outline = &Outline::all(&board)[0];
                assert_eq!(outline.activities.len(), 3);
                assert_eq!(outline.releases, ["MVP", "Release 2", "Unscheduled"]);
            }
            Template::ImpactEffort => {
                for q in ["Quick wins", "Big bets", "Fill-ins", "Time sinks"] {
                    assert!(frames.contains(q), "{q} missing from {frames:?}");
                }
            }
            Template::Retrospective => {
                for q in ["Went well", "To improve", "Actions"] {
                    assert!(frames.contains(q), "{q} missing from {frames:?}");
                }
            }
        }
        for (format, content_type, ext) in [
            ("markdown", "text/markdown; charset=utf-8", "md"),
            ("csv", "text/csv; charset=utf-8", "csv"),
            ("json", "application/json", "json"),
        ] {
            let res = export(&server, &id, format).await?;
            assert_eq!(res.status, 200, "{format}: {}", res.body);
            assert_eq!(res.header("content-type"), Some(content_type));
            assert_eq!(
                res.header("content-disposition"),
                Some(format!("attachment; filename=\"sprint-42-checkout.{ext}\"").as_str())
            );
            let want = Format::parse(format).context("format")?.export(&board);
            assert_eq!(res.body, want, "{format} export of {}", template.name());
        }
    }
    let bad = http::post_json(
        server.addr(),
        "/api/boards",
        &json!({ "title": "x", "template": "kanban" }),
    )
    .await?;
    let message = error_of(&bad, 400)?;
    assert!(
        message.contains("story_map") && message.contains("retrospective"),
        "{message}"
    );
    let id = create(&server, "x", "blank").await?;
    error_of(&export(&server, &id, "xml").await?, 400)?;
    error_of(&export(&server, "nosuchboard", "csv").await?, 404)?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csv_export_imports_back_into_an_equal_map() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let id = create(&server, "Shop", "story_map").await?;
    // Stories written by a live client: the export reads the loaded room.
    let client = Client::join(&server.ws_url(&id)).await?;
    let board = client.snapshot();
    let map = huddle_shared::storymap::StoryMap::all(&board)
        .pop()
        .context("no map")?;
    let steps: Vec<String> = map
        .activities
        .iter()
        .flat_map(|a| a.steps.iter().filter_map(|s| s.id.clone()))
        .collect();
    let releases: Vec<String> = map.releases.iter().filter_map(|r| r.id.clone()).collect();
    client.edit(|b, txn| -> anyhow::Result<()> {
        for (i, step) in steps.iter().enumerate() {
            let note = NewNote {
                text: format!("Story {i}, \"quoted\" #tag{}", i % 2),
                tags: vec![format!("tag{}", i % 2)],
                ..NewNote::default()
            };
            let id = b.create_note(txn, note)?;
            b.set_story_fields(
                txn,
                &id,
                &StoryFields {
                    description: Some(format!("line one\nline two of {i}")),
                    estimate: Some(i as f64 + 0.5),
                    story_type: Some(StoryType::ALL[i % 4]),
                    issue_key: (i % 2 == 0).then(|| format!("SHOP-{i}")),
                    ..StoryFields::default()
                },
            )?;
            let release = (i % 3 < 2).then(|| releases[i % 2].as_str());
            b.place_story(txn, &id, step, release, None)?;
        }
        Ok(())
    })?;
    client.save().await?;
    let original = export_board(&server, &id).await?;
    let before = &Outline::all(&original)[0];
    assert_eq!(before.stories.len(), steps.len());

    let csv = export(&server, &id, "csv").await?;
    assert_eq!(csv.status, 200);
    let res = http::post_text(
        server.addr(),
        "/api/boards/import?format=csv&title=Story%20map",
        &csv.body,
    )
    .await?;
    ensure!(
        res.status == 201,
        "import answered {}: {}",
        res.status,
        res.body
    );
    let body = res.json()?;
    let new_id = body["id"].as_str().context("id")?;
    assert_eq!(body["url"], format!("/b/{new_id}"));
    assert_eq!(body["title"], "Story map");
    let imported = export_board(&server, new_id).await?;
    assert_eq!(&Outline::all(&imported)[0], before);

    // JSON: the whole board comes back, ids and all.
    let json = export(&server, &id, "json").await?;
    let res = http::post_text(server.addr(), "/api/boards/import?format=json", &json.body).await?;
    ensure!(
        res.status == 201,
        "import answered {}: {}",
        res.status,
        res.body
    );
    assert_eq!(res.json()?["title"], "Shop");
    let copy = export_board(&server, res.json()?["id"].as_str().context("id")?).await?;
    assert_eq!(copy.items, original.items);
    Ok(())
}

/// A Jira Cloud export (its own column names, issue keys, labels in repeated columns).
const JIRA_EXPORT: &str = "\
Issue id,Issue key,Issue Type,Summary,Custom field (Story Points),Labels,Labels,Fix versions,Status,Parent,Description
10001,PAY-1,Epic,Checkout,,,,,To Do,,
10002,PAY-2,Story,Pay with saved card,5,payments,mvp,MVP,In Progress,10001,Use the card on file
10003,PAY-3,Story,Fix #rounding of totals,2,bug,,MVP,To Do,10001,
10004,PAY-4,Story,Receipt by email,3,,,,Done,10001,
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jira_issue_keys_survive_an_import_and_go_back_with_tag_free_summaries()
-> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let res = http::post_text(
        server.addr(),
        "/api/boards/import?format=csv&title=From%20Jira",
        JIRA_EXPORT,
    )
    .await?;
    ensure!(
        res.status == 201,
        "import answered {}: {}",
        res.status,
        res.body
    );
    let id = res.json()?["id"].as_str().context("id")?.to_owned();
    let board = export_board(&server, &id).await?;
    let stories: Vec<(String, Option<String>)> = board
        .items
        .values()
        .filter(|i| i.place.is_some() && i.story.estimate.is_some())
        .map(|i| (i.text.clone(), i.story.issue_key.clone()))
        .collect();
    let key_of = |text: &str| {
        stories
            .iter()
            .find(|(t, _)| t == text)
            .and_then(|(_, k)| k.clone())
    };
    // On the board, the labels are the note's #tags; the key is a story field.
    assert_eq!(
        key_of("Pay with saved card #payments #mvp").as_deref(),
        Some("PAY-2")
    );
    assert_eq!(
        key_of("Fix #rounding of totals #bug").as_deref(),
        Some("PAY-3")
    );
    assert_eq!(key_of("Receipt by email").as_deref(), Some("PAY-4"));

    // Back to Jira: the same keys, in `Issue key`; summaries without the labels' tags.
    let csv = export(&server, &id, "csv").await?;
    assert_eq!(csv.status, 200);
    let mut rows = csv::Reader::from_reader(csv.body.as_bytes());
    let header = rows.headers()?.clone();
    let col = |name: &str| header.iter().position(|h| h == name);
    let (key, summary) = (
        col("Issue key").context("no Issue key column")?,
        col("Summary").context("no Summary")?,
    );
    let mut back = Vec::new();
    for row in rows.records() {
        let row = row?;
        if &row[col("Issue Type").context("type")?] != "Epic" {
            back.push((row[summary].to_owned(), row[key].to_owned()));
        }
    }
    back.sort();
    assert_eq!(
        back,
        [
            ("Fix rounding of totals".to_owned(), "PAY-3".to_owned()),
            ("Pay with saved card".to_owned(), "PAY-2".to_owned()),
            ("Receipt by email".to_owned(), "PAY-4".to_owned()),
        ]
    );
    // ...and that file is Huddle's own round trip too: an equal map, keys included. The one
    // difference is documented: a tag inside a title comes back at its end (the Summary had
    // only the word; the label is added as a #tag).
    let res = http::post_text(server.addr(), "/api/boards/import?format=csv", &csv.body).await?;
    ensure!(
        res.status == 201,
        "re-import answered {}: {}",
        res.status,
        res.body
    );
    let again = export_board(&server, res.json()?["id"].as_str().context("id")?).await?;
    let outline = |b: &BoardSnapshot| Outline::all(b).into_iter().next();
    let (mut a, mut b) = (
        outline(&board).context("map")?,
        outline(&again).context("map")?,
    );
    a.title.clear();
    b.title.clear();
    for story in &mut a.stories {
        if story.title == "Fix #rounding of totals #bug" {
            story.title = "Fix rounding of totals #rounding #bug".into();
        }
    }
    assert_eq!(a, b);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_file_is_refused_with_its_line_and_column_and_creates_nothing()
-> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    create(&server, "keep", "blank").await?;
    let before = board_ids(&server).await?;
    let cases = [
        (
            "csv",
            "Summary,Story Points\nok,1\nbad,lots\n",
            "line 3, column 2",
        ),
        (
            "csv",
            "Summary,Story Points\nok,1\n\"open,2\n",
            "line 3, column 1",
        ),
        (
            "csv",
            "Summary,Story Points\nok,1,extra\n",
            "line 2, column 3",
        ),
        ("csv", "Name,Points\nx,1\n", "line 1, column 1"),
        ("csv", "", "line 1, column 1"),
        (
            "json",
            "{\n  \"huddle_board\": 1,\n  \"meta\": oops\n}",
            "line 3",
        ),
    ];
    for (format, body, want) in cases {
        let res = http::post_text(
            server.addr(),
            &format!("/api/boards/import?format={format}"),
            body,
        )
        .await?;
        let message = error_of(&res, 400)?;
        assert!(
            message.starts_with(want),
            "{body:?}: {message:?} does not start with {want:?}"
        );
    }
    error_of(
        &http::post_text(server.addr(), "/api/boards/import?format=xml", "a").await?,
        400,
    )?;
    // One byte past the body limit: 413 (axum stops reading at the limit, so the client's
    // write of the whole body still completes).
    let huge = "x".repeat(huddle_server::api::MAX_IMPORT_BODY_BYTES + 1);
    let res = http::post_text(server.addr(), "/api/boards/import?format=json", &huge).await?;
    error_of(&res, 413)?;
    assert_eq!(
        board_ids(&server).await?,
        before,
        "a refused import created a board"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_imports_and_exports_and_refuses_a_data_dir_a_server_holds() -> anyhow::Result<()> {
    let data = DataDir::new();
    let dir = data.path().to_str().context("path")?;
    let fixture = workspace_root().join("shared/tests/golden/board.json");
    let fixture = fixture.to_str().context("path")?;
    let (ok, out, err) = huddle(&["import", fixture, "--format", "json", "--data", dir])?;
    ensure!(ok, "import failed: {err}");
    let mut lines = out.lines();
    let id = lines.next().context("no id")?.to_owned();
    assert_eq!(lines.next(), Some(format!("/b/{id}").as_str()));

    let (ok, markdown, err) = huddle(&["export", &id, "--format", "markdown", "--data", dir])?;
    ensure!(ok, "export failed: {err}");
    assert_eq!(markdown, golden("expected.md")?);
    let out_file = data.path().join("out.csv");
    let out_path = out_file.to_str().context("path")?;
    let (ok, _, err) = huddle(&[
        "export", &id, "--format", "csv", "--out", out_path, "--data", dir,
    ])?;
    ensure!(ok, "export failed: {err}");
    assert_eq!(std::fs::read_to_string(&out_file)?, golden("expected.csv")?);

    // A bad file: an error with its line and column, and no board.
    let bad = data.path().join("bad.csv");
    std::fs::write(&bad, "Summary,Story Points\nx,lots\n")?;
    let (ok, _, err) = huddle(&[
        "import",
        bad.to_str().context("path")?,
        "--format",
        "csv",
        "--data",
        dir,
    ])?;
    assert!(!ok && err.contains("line 2, column 2"), "{err}");

    // A server started afterwards sees what the CLI wrote, and holds the directory.
    let server = TestServer::start_on(data.path(), &[])?;
    assert_eq!(board_ids(&server).await?, BTreeSet::from([id.clone()]));
    let board = export_board(&server, &id).await?;
    assert_eq!(board.meta.title, "Shop: Q3 refinement");
    for args in [
        vec!["export", id.as_str(), "--format", "json", "--data", dir],
        vec!["import", fixture, "--format", "json", "--data", dir],
    ] {
        let (ok, _, err) = huddle(&args)?;
        assert!(!ok, "{args:?} succeeded while a server held the directory");
        assert!(
            err.contains("in use by a running Huddle server") && err.contains("curl"),
            "{args:?}: {err}"
        );
    }
    assert_eq!(board_ids(&server).await?, BTreeSet::from([id]));
    Ok(())
}
