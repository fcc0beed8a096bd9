//! RACI matrices in real Chromium: A selects two notes and makes a matrix from the toolbar
//! (rows are the notes, a column is A's person), adds a role column with the "+" header,
//! and fills cells by clicking them (each click one step of empty -> R -> A -> C -> I). The
//! rows that break the rules are marked and the marks clear as the rows are fixed; undo takes
//! back one click; B, in a second Chromium, sees the same matrix; the document on the wire
//! (a test WebSocket client) and the CSV export hold the letters; renaming a note renames its
//! row and deleting it leaves the row marked deleted.

use anyhow::{Context, ensure};
use huddle_shared::model::NewNote;
use huddle_shared::raci::{ColKind, Letter};
use huddle_tests::browser::modifiers;
use huddle_tests::client::Client;
use huddle_tests::http;
use huddle_tests::person::{Person, two_people};
use serde_json::{Value, json};

/// `huddle.raci()[0]`, the only matrix.
const MATRIX: &str = "huddle.raci()[0]";

/// The client rectangle's middle.
fn middle(rect: &Value) -> anyhow::Result<[f64; 2]> {
    let n = |k: &str| rect[k].as_f64().with_context(|| format!("{k} of {rect}"));
    Ok([n("x")? + n("w")? / 2.0, n("y")? + n("h")? / 2.0])
}

/// Clicks the cell of row `row` and column `col` on `who`'s page.
async fn click_cell(who: &Person, row: usize, col: usize) -> anyhow::Result<()> {
    let rect = who
        .page
        .eval(&format!("{MATRIX}.rows[{row}].cells[{col}].rect"))
        .await?;
    who.page.click_at(middle(&rect)?, 0).await
}

/// Waits until `who` shows `letter` (`null`: empty) in cell (`row`, `col`).
async fn wait_letter(who: &Person, row: usize, col: usize, letter: &str) -> anyhow::Result<()> {
    who.wait(
        &format!("cell {row},{col} to read {letter}"),
        &format!("{MATRIX}?.rows[{row}]?.cells[{col}]?.letter === {letter}"),
    )
    .await
    .map(drop)
}

/// Waits until `who` marks row `row` with exactly `problems`.
async fn wait_problems(who: &Person, row: usize, problems: &[&str]) -> anyhow::Result<()> {
    who.wait(
        &format!("row {row} marked {problems:?}"),
        &format!(
            "JSON.stringify({MATRIX}?.rows[{row}]?.problems) === {}",
            json!(json!(problems).to_string())
        ),
    )
    .await
    .map(drop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_matrix_made_from_two_notes_is_filled_in_by_clicks() -> anyhow::Result<()> {
    let (server, _data, board, a, b) = two_people("RACI").await?;
    let writer = Client::join(&server.ws_url(&board)).await?;
    let notes = writer.edit(|bd, txn| {
        ["Checkout", "Refunds"]
            .iter()
            .enumerate()
            .map(|(i, text)| {
                bd.create_note(
                    txn,
                    NewNote {
                        pos: [0.0, -250.0 + 300.0 * i as f64],
                        text: (*text).into(),
                        ..NewNote::default()
                    },
                )
            })
            .collect::<Result<Vec<String>, _>>()
    })?;
    writer.save().await?;
    for n in &notes {
        a.wait(
            "the notes on the page",
            &format!("!!huddle.snapshot().items[{}]", json!(n)),
        )
        .await?;
    }

    // Select both notes, then "RACI" in the toolbar.
    a.page.click("[data-action=zoom-fit]").await?;
    a.page.click_at(a.item_center(&notes[0]).await?, 0).await?;
    a.page
        .click_at(a.item_center(&notes[1]).await?, modifiers::SHIFT)
        .await?;
    a.wait("two notes selected", "huddle.selection().length === 2")
        .await?;
    a.page.click("[data-action=new-raci]").await?;
    a.wait(
        "a matrix with the two notes as rows",
        &format!("{MATRIX}?.rows.length === 2"),
    )
    .await?;
    a.page.click("[data-action=zoom-fit]").await?;
    let matrix = a.page.eval(MATRIX).await?;
    let labels: Vec<&str> = matrix["rows"]
        .as_array()
        .context("rows")?
        .iter()
        .filter_map(|r| r["label"].as_str())
        .collect();
    ensure!(labels == ["Checkout", "Refunds"], "rows: {matrix}");
    // The columns are the people with a role on the board, as the share API lists them.
    let access = http::get(server.addr(), &format!("/api/boards/{board}/access"))
        .await?
        .json()?;
    let people: Vec<(&Value, &Value)> = access["people"]
        .as_array()
        .context("people")?
        .iter()
        .filter(|p| !p["role"].is_null())
        .map(|p| (&p["id"], &p["name"]))
        .collect();
    let cols: Vec<(&Value, &Value)> = matrix["cols"]
        .as_array()
        .context("cols")?
        .iter()
        .map(|c| (&c["person"], &c["label"]))
        .collect();
    ensure!(
        !cols.is_empty() && cols == people,
        "columns {cols:?} are not the people {people:?}"
    );
    let first_col = cols.len();
    wait_problems(&a, 0, &["no A", "no R"]).await?;

    // A role column through the "+" header (the name comes from the prompt).
    a.page
        .eval("window.prompt = () => 'Design lead'; true")
        .await?;
    let add = a.page.eval(&format!("{MATRIX}.addCol")).await?;
    a.page.click_at(middle(&add)?, 0).await?;
    a.wait(
        "the role column",
        &format!("{MATRIX}?.cols[{first_col}]?.label === 'Design lead'"),
    )
    .await?;
    let matrix = a.page.eval(MATRIX).await?;
    ensure!(
        matrix["cols"][first_col]["kind"] == ColKind::Role.as_str() && first_col == 1,
        "{matrix}"
    );

    // Row 0: two clicks make A's cell an A, one click makes Design lead an R.
    click_cell(&a, 0, 0).await?;
    wait_letter(&a, 0, 0, "'R'").await?;
    click_cell(&a, 0, 0).await?;
    wait_letter(&a, 0, 0, "'A'").await?;
    wait_problems(&a, 0, &["no R"]).await?;
    click_cell(&a, 0, 1).await?;
    wait_letter(&a, 0, 1, "'R'").await?;
    wait_problems(&a, 0, &[]).await?;
    wait_problems(&a, 1, &["no A", "no R"]).await?;

    // Undo takes back the last click only; redo puts it back.
    a.page.press("z", modifiers::CTRL).await?;
    wait_letter(&a, 0, 1, "null").await?;
    wait_letter(&a, 0, 0, "'A'").await?;
    wait_problems(&a, 0, &["no R"]).await?;
    a.page
        .press("z", modifiers::CTRL | modifiers::SHIFT)
        .await?;
    wait_letter(&a, 0, 1, "'R'").await?;
    wait_problems(&a, 0, &[]).await?;

    // B's Chromium shows the same matrix and marks.
    wait_letter(&b, 0, 0, "'A'").await?;
    wait_letter(&b, 0, 1, "'R'").await?;
    wait_problems(&b, 0, &[]).await?;
    wait_problems(&b, 1, &["no A", "no R"]).await?;
    // B fixes row 1 with its own clicks (R for A's column, then A for Design lead).
    b.page.click("[data-action=zoom-fit]").await?;
    click_cell(&b, 1, 0).await?;
    wait_letter(&b, 1, 0, "'R'").await?;
    for _ in 0..2 {
        let before = b
            .page
            .eval(&format!("{MATRIX}.rows[1].cells[1].letter"))
            .await?;
        click_cell(&b, 1, 1).await?;
        b.wait(
            "the click to land",
            &format!("{MATRIX}.rows[1].cells[1].letter !== {}", before),
        )
        .await?;
    }
    wait_letter(&b, 1, 1, "'A'").await?;
    wait_problems(&b, 1, &[]).await?;
    wait_problems(&a, 1, &[]).await?;

    // The document on the wire holds the letters.
    let m = matrix["id"].as_str().context("matrix id")?.to_owned();
    let cols: Vec<String> = matrix["cols"]
        .as_array()
        .context("cols")?
        .iter()
        .filter_map(|c| c["id"].as_str().map(str::to_owned))
        .collect();
    let want = [
        (0, 0, Letter::A),
        (0, 1, Letter::R),
        (1, 0, Letter::R),
        (1, 1, Letter::A),
    ];
    writer
        .wait_until(|s| {
            let Some(raci) = s.items.get(&m).and_then(|i| i.raci.as_ref()) else {
                return false;
            };
            want.iter().all(|(r, c, l)| {
                raci.row(&notes[*r]).and_then(|row| row.cell(&cols[*c])) == Some(*l)
            })
        })
        .await
        .context("the letters on the wire")?;
    let csv = http::get(
        server.addr(),
        &format!("/api/boards/{board}/export?format=raci-csv"),
    )
    .await?;
    ensure!(csv.status == 200, "{} {}", csv.status, csv.body);
    ensure!(
        csv.body.ends_with("\nCheckout,A,R\nRefunds,R,A\n"),
        "{}",
        csv.body
    );

    // Renaming a note renames its row; deleting it keeps the row, marked deleted.
    writer.edit(|bd, txn| bd.insert_text(txn, &notes[0], 0, "Fast "))?;
    a.wait(
        "the renamed row",
        &format!("{MATRIX}.rows[0].label === 'Fast Checkout'"),
    )
    .await?;
    writer.edit(|bd, txn| bd.delete_item(txn, &notes[1]))?;
    b.wait(
        "the deleted row, kept",
        &format!("{MATRIX}.rows.length === 2 && {MATRIX}.rows[1].deleted"),
    )
    .await?;
    a.assert_no_errors()?;
    b.assert_no_errors()
}
