//! Story maps: what a change costs the client, and what export and import cost, on a big map
//! against a small one measured in the same run (the baseline).
//!
//! Measured in-process with the shared code the browser runs (natively here, so a browser
//! pays more in absolute terms; the ratio is the point):
//! - relayout: every story map resolved into its grid and laid out (`StoryMap::all` +
//!   `MapLayout::compute`), which the client does after any change to a map, its parts or a
//!   story; the board snapshot it starts from is made once, outside the timing, as the
//!   client keeps its map members cached;
//! - placing a story: one `Board::place_story` (the move a drop writes), which scans the
//!   cell's siblings for its rank;
//! - the CSV export and the CSV import of the map (parse, check, write into a new board).

use std::time::{Duration, Instant};

use huddle_shared::export::{Format, parse_backlog, write_backlog};
use huddle_shared::model::{Board, BoardSnapshot, NewNote, StoryFields, StoryType};
use huddle_shared::storymap::{MapLayout, StoryMap, ViewOptions};
use yrs::Transact;

use crate::stats::{median, millis};

/// Samples per measurement.
const SAMPLES: usize = 11;
/// The shape of both maps: activities x steps each, and slices.
const ACTIVITIES: usize = 10;
const STEPS: usize = 5;
const SLICES: usize = 5;
/// Stories in the baseline map and in the big one (a large release plan).
const SMALL: usize = 100;
const BIG: usize = 2_000;

/// A board with one map of [`ACTIVITIES`] x [`STEPS`] steps, [`SLICES`] slices, `stories`
/// stories spread over the cells; the ids of its steps and of one story.
fn map_board(stories: usize) -> anyhow::Result<(Board, Vec<String>, String)> {
    let board = Board::with_client_id(1);
    let mut txn = board.transact_mut();
    let map = board.create_story_map(&mut txn, [0.0, 0.0], "Bench", "", 0.0)?;
    let mut steps = Vec::new();
    for a in 0..ACTIVITIES {
        let activity = board.add_activity(&mut txn, &map, None, &format!("A{a}"), "", 0.0)?;
        for s in 0..STEPS {
            steps.push(board.add_step(&mut txn, &activity, None, &format!("S{a}.{s}"), "", 0.0)?);
        }
    }
    let slices: Vec<String> = (0..SLICES)
        .map(|r| board.add_release(&mut txn, &map, None, &format!("R{r}"), "", 0.0))
        .collect::<Result<_, _>>()?;
    let mut one = String::new();
    for i in 0..stories {
        let note = NewNote {
            text: format!("Story {i} #t{}", i % 7),
            tags: vec![format!("t{}", i % 7)],
            ..NewNote::default()
        };
        let id = board.create_note(&mut txn, note)?;
        let fields = StoryFields {
            estimate: Some((i % 8) as f64),
            story_type: Some(StoryType::ALL[i % 4]),
            description: Some(format!("As a user I want story {i}.")),
            ..StoryFields::default()
        };
        board.set_story_fields(&mut txn, &id, &fields)?;
        let step = &steps[i % steps.len()];
        board.place_story(&mut txn, &id, step, Some(&slices[i % SLICES]), None)?;
        one = id;
    }
    drop(txn);
    Ok((board, steps, one))
}

fn time<T>(mut f: impl FnMut() -> anyhow::Result<T>) -> anyhow::Result<Duration> {
    let mut samples = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let started = Instant::now();
        std::hint::black_box(f()?);
        samples.push(started.elapsed());
    }
    Ok(median(&mut samples))
}

fn relayout(snapshot: &BoardSnapshot) -> usize {
    let options = ViewOptions::default();
    StoryMap::all(snapshot)
        .iter()
        .map(|map| MapLayout::compute(map, snapshot, &options).stories.len())
        .sum()
}

/// The four timings for a map of `stories` stories.
fn measure(stories: usize) -> anyhow::Result<[Duration; 4]> {
    let (board, steps, one) = map_board(stories)?;
    let snapshot = board.snapshot(&board.doc().transact());
    anyhow::ensure!(relayout(&snapshot) == stories, "the layout lost stories");
    let layout = time(|| Ok(relayout(&snapshot)))?;
    let mut k = 0;
    let place = time(|| {
        k += 1;
        let mut txn = board.transact_mut();
        let step = &steps[k % steps.len()];
        Ok(board.place_story(&mut txn, &one, step, None, Some(0))?)
    })?;
    let csv = Format::Csv.export(&snapshot);
    let export = time(|| Ok(Format::Csv.export(&snapshot)))?;
    let import = time(|| {
        let backlog = parse_backlog(&csv)?;
        let copy = Board::new();
        let mut txn = copy.transact_mut();
        Ok(write_backlog(
            &copy,
            &mut txn,
            &backlog,
            "Copy",
            [0.0, 0.0],
            "",
            0.0,
        )?)
    })?;
    Ok([layout, place, export, import])
}

pub fn run() -> anyhow::Result<()> {
    println!("## Story maps ({ACTIVITIES} activities x {STEPS} steps, {SLICES} slices)\n");
    let small = measure(SMALL)?;
    let big = measure(BIG)?;
    println!("| median of {SAMPLES} | {SMALL} stories | {BIG} stories | ratio |");
    println!("|---|---|---|---|");
    let names = [
        "relayout every map (client, after a change)",
        "place one story (a drop)",
        "CSV export",
        "CSV import into a new board",
    ];
    for (i, name) in names.iter().enumerate() {
        println!(
            "| {name} | {:.3} ms | {:.3} ms | {:.1}x |",
            millis(small[i]),
            millis(big[i]),
            big[i].as_secs_f64() / small[i].as_secs_f64().max(1e-9)
        );
    }
    println!(
        "\n(the story ratio is {:.0}x: a cost that grows no faster than the map shows a ratio at \
         or below it)\n",
        BIG as f64 / SMALL as f64
    );
    Ok(())
}
