//! Arranging on a real [`Board`]: shared helpers; `layout` tests orders, grids, align and
//! distribute; `targets` tests clusters, frames, what is skipped, and that each operation is
//! one undo step; `votes` tests sort by votes on round results.

mod layout;
mod targets;
mod votes;

use yrs::Transact;

use super::{Arranged, Op, Target};
use crate::model::Point;
use crate::model::{Board, Color, DEFAULT_NOTE_SIZE, NewNote};

pub(super) const W: f64 = DEFAULT_NOTE_SIZE[0];

pub(super) struct Spec {
    pub pos: Point,
    pub color: Color,
    pub text: &'static str,
    pub tags: &'static [&'static str],
    pub author: &'static str,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            pos: [0.0, 0.0],
            color: Color::Yellow,
            text: "",
            tags: &[],
            author: "",
        }
    }
}

pub(super) fn note(board: &Board, spec: Spec) -> String {
    let mut txn = board.transact_mut();
    let new = NewNote {
        pos: spec.pos,
        color: spec.color,
        text: spec.text.into(),
        tags: spec.tags.iter().map(|t| t.to_string()).collect(),
        author: spec.author.into(),
        ..NewNote::default()
    };
    board.create_note(&mut txn, new).expect("note")
}

pub(super) fn at(board: &Board, x: f64, y: f64) -> String {
    note(
        board,
        Spec {
            pos: [x, y],
            ..Spec::default()
        },
    )
}

pub(super) fn arrange(board: &Board, target: &Target, op: Op) -> Arranged {
    let mut txn = board.transact_local();
    board
        .arrange(&mut txn, target, op, "ann", 1.0)
        .expect("arrange")
}

pub(super) fn items(ids: &[&String]) -> Target {
    Target::Items(ids.iter().map(|s| s.to_string()).collect())
}

pub(super) fn pos(board: &Board, id: &str) -> Point {
    board
        .item_snapshot(&board.doc().transact(), id)
        .expect("item")
        .pos
}

/// The ids in reading order of their positions now (rows by y, then x).
pub(super) fn read(board: &Board, ids: &[&String]) -> Vec<String> {
    let mut v: Vec<(Point, String)> = ids
        .iter()
        .map(|id| (pos(board, id), id.to_string()))
        .collect();
    v.sort_by(|a, b| a.0[1].total_cmp(&b.0[1]).then(a.0[0].total_cmp(&b.0[0])));
    v.into_iter().map(|(_, id)| id).collect()
}
