//! Issue 14's pictures: how long the server takes to draw a 10,000-note board as SVG, PNG and
//! PDF, against a 100-note board drawn the same way in the same run (the baseline).
//!
//! Measured in-process with the server's own code ([`huddle_server::pictures::render`], what
//! the export route runs on a blocking thread), from a board snapshot (reading the board is
//! the same as for every other export and is not timed). The 10,000 notes are the fixture
//! grid (100 x 100 notes, 220 apart: a 22,064 px square with the margin), so the whole-board
//! PNG is drawn at scale 0.25 (30 MP, under the 32 MP limit); "frames" puts the notes in
//! 100 frames of 100 notes each, so its PDF has 100 pages.

use std::time::{Duration, Instant};

use huddle_server::pictures::{Format, PictureArgs, Request, render};
use huddle_shared::model::{Board, BoardSnapshot};
use yrs::Transact;

use crate::fixtures::board_with_notes;
use crate::stats::{median, millis};

/// Samples per measurement (a large PNG takes seconds; the median of a few is kept).
const SAMPLES: usize = 3;

fn snapshot(board: &Board) -> BoardSnapshot {
    board.snapshot(&board.doc().transact())
}

/// The board of `notes` fixture notes, with a frame around each 10 x 10 block of notes.
fn framed(notes: usize) -> anyhow::Result<BoardSnapshot> {
    let (board, _) = board_with_notes(notes);
    {
        let mut txn = board.transact_mut();
        let rows = notes.div_ceil(100);
        for fy in 0..rows.div_ceil(10) {
            for fx in 0..10 {
                let pos = [fx as f64 * 2200.0 - 10.0, fy as f64 * 2200.0 - 10.0];
                board.create_frame(
                    &mut txn,
                    pos,
                    Some([2190.0, 2190.0]),
                    &format!("F{fx}.{fy}"),
                    "",
                    0.0,
                )?;
            }
        }
    }
    Ok(snapshot(&board))
}

fn time(
    board: &BoardSnapshot,
    format: Format,
    args: &PictureArgs,
) -> anyhow::Result<(Duration, usize)> {
    let request = Request::with(format, args)?;
    let mut samples = Vec::new();
    let mut bytes = 0;
    for _ in 0..SAMPLES {
        let start = Instant::now();
        let out = render(board, &request, 0)?;
        samples.push(start.elapsed());
        bytes = out.body.len();
    }
    Ok((median(&mut samples), bytes))
}

pub fn run() -> anyhow::Result<()> {
    println!("## Pictures (issue 14): export of a board, median of {SAMPLES}\n");
    println!("| export | 100 notes | 10,000 notes | ratio | 10,000-note output |");
    println!("|---|---|---|---|---|");
    let small = snapshot(&board_with_notes(100).0);
    let big = snapshot(&board_with_notes(10_000).0);
    let small_framed = framed(100)?;
    let big_framed = framed(10_000)?;
    let scale = |s: &str| PictureArgs {
        scale: Some(s.into()),
        ..PictureArgs::default()
    };
    let first_frame = |b: &BoardSnapshot| {
        let id = b
            .items
            .iter()
            .find(|(_, i)| i.kind == huddle_shared::model::ItemKind::Frame)
            .map(|(id, _)| id.clone());
        PictureArgs {
            frame: id,
            ..PictureArgs::default()
        }
    };
    let rows: Vec<(
        &str,
        &BoardSnapshot,
        &BoardSnapshot,
        Format,
        PictureArgs,
        PictureArgs,
    )> = vec![
        (
            "SVG, whole board",
            &small,
            &big,
            Format::Svg,
            PictureArgs::default(),
            PictureArgs::default(),
        ),
        (
            "PNG, whole board at scale 0.25",
            &small,
            &big,
            Format::Png,
            scale("0.25"),
            scale("0.25"),
        ),
        (
            "PNG 1x, one frame of 100 notes",
            &small_framed,
            &big_framed,
            Format::Png,
            first_frame(&small_framed),
            first_frame(&big_framed),
        ),
        (
            "PNG 2x, one frame of 100 notes",
            &small_framed,
            &big_framed,
            Format::Png,
            PictureArgs {
                scale: Some("2".into()),
                ..first_frame(&small_framed)
            },
            PictureArgs {
                scale: Some("2".into()),
                ..first_frame(&big_framed)
            },
        ),
        (
            "PDF, no frames (one page)",
            &small,
            &big,
            Format::Pdf,
            PictureArgs::default(),
            PictureArgs::default(),
        ),
        (
            "PDF, a page per frame (1 / 100 pages)",
            &small_framed,
            &big_framed,
            Format::Pdf,
            PictureArgs::default(),
            PictureArgs::default(),
        ),
    ];
    for (name, s, b, format, sa, ba) in rows {
        let (ts, _) = time(s, format, &sa)?;
        let (tb, bytes) = time(b, format, &ba)?;
        println!(
            "| {name} | {:.1} ms | {:.1} ms | {:.0}x | {:.1} MB |",
            millis(ts),
            millis(tb),
            tb.as_secs_f64() / ts.as_secs_f64().max(1e-9),
            bytes as f64 / 1e6
        );
    }
    println!();
    Ok(())
}
