//! Sorting, clustering, tidying, aligning and distributing a selection or a frame's contents.
//!
//! Planning is pure: [`plan`] takes the items (ids with their [`ItemSnapshot`]s) and returns
//! new positions and the labels to write, so every replica that plans from the same snapshot
//! gets the same answer (ties are always broken by id, or for votes by reading order, which
//! ends with the id). [`Board::arrange`](crate::model::Board) then writes the plan in the
//! caller's one transaction: one undo step, one update.
//!
//! What is arranged: notes, frames, text labels and unknown kinds. What is skipped (left
//! where it is, see [`is_arrangeable`]):
//! - connectors: they have no position, they follow their ends;
//! - story maps, their parts (activities, steps, releases) and notes placed in a map (`place`
//!   is `Some`): the map lays them out itself, a position written here would be ignored.
//!
//! A frame in the target carries what it holds (as dragging it does): the frame is arranged
//! as one item and its contents move with it, so they are not arranged on their own.
//!
//! # Layout
//!
//! - `mod.rs`: the operations ([`Op`], [`SortKey`], [`ClusterKey`], [`Align`], [`Axis`]),
//!   the target ([`Target`], [`Area`]), the plan ([`Plan`]) and [`plan`].
//! - `order`: sort keys, natural text order, reading order.
//! - `grid`: grids (tidy, sort), align, distribute, bounds.
//! - `cluster`: groups by tag or colour, each a small grid under a label.
//! - `apply`: [`Board::arrange`](crate::model::Board), which writes a plan.

mod apply;
mod cluster;
mod grid;
mod order;
#[cfg(test)]
mod tests;

pub use apply::Arranged;
pub use order::natural_cmp;

use std::collections::HashMap;

use crate::model::{ItemKind, ItemSnapshot, Point, Size};

/// Space between neighbours in a grid: enough to see two notes apart, small enough to read
/// the grid as one block.
pub const GAP: f64 = 20.0;
/// Space between two clusters, four grid gaps, so groups read as separate.
pub const GROUP_GAP: f64 = 80.0;
/// Space between a cluster's label and its first row.
pub const LABEL_GAP: f64 = 12.0;
/// Margin kept inside a frame's edges when its contents are arranged.
pub const FRAME_PADDING: f64 = 24.0;
/// Height of a frame's title band (the client draws the title there and a double-click in
/// it edits the title), kept free above the arranged contents.
pub const FRAME_TITLE_BAND: f64 = 36.0;

/// What to sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortKey {
    /// The palette's order (yellow first), unknown colours last.
    Color,
    /// The first tag, natural order ignoring case; untagged last.
    Tag,
    /// The author's name, ignoring case; unsigned last.
    Author,
    /// The story estimate, smallest first; unset last.
    Estimate,
    /// The text, natural order ignoring case ("Story 2" before "Story 10"); empty last.
    Text,
    /// Dots from each item's latest revealed dot vote, most first ([`Piece::votes`]); items
    /// with as many dots keep their reading order, so a sort by votes reorders only where
    /// the team's dots say so. Items never voted on count as 0.
    Votes,
}

/// What to group by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClusterKey {
    /// The first tag (ignoring case); items without a tag form the group "untagged".
    Tag,
    Color,
}

/// Which edge or centre line to line items up on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Align {
    Left,
    Right,
    Top,
    Bottom,
    /// Centres on one vertical line (same centre x).
    CenterHorizontal,
    /// Centres on one horizontal line (same centre y).
    CenterVertical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Axis {
    Horizontal,
    Vertical,
}

/// One arrange operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// Sort, then lay out as a grid in that order (row-major).
    Sort(SortKey),
    /// Groups side by side, each a small grid under a label naming it ("#auth (4)").
    Cluster(ClusterKey),
    /// A grid keeping the current reading order (rows top to bottom, then left to right).
    Tidy,
    Align(Align),
    /// Equal gaps between neighbours; the first and the last stay where they are.
    Distribute(Axis),
}

/// What to arrange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// These items (a selection). Missing ids are skipped.
    Items(Vec<String>),
    /// A frame's contents ([`crate::model::Board::frame_contents`]), laid out inside it.
    Frame(String),
}

/// Where a grid may go: from the selection's top-left, or inside a frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Area {
    /// Start at the items' top-left corner; about `sqrt(n)` columns.
    Selection,
    /// Start inside the frame (below its title band); as many columns as fit its width.
    Frame { pos: Point, size: Size },
}

/// One item to arrange.
#[derive(Debug, Clone, Copy)]
pub struct Piece<'a> {
    pub id: &'a str,
    pub item: &'a ItemSnapshot,
    /// Dots on the item ([`crate::model::votes`]); only [`SortKey::Votes`] reads it, so
    /// callers planning another operation may leave it 0.
    pub votes: u32,
}

/// A text label to create (cluster names).
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub text: String,
    pub pos: Point,
}

/// What an operation does: new positions, labels to create, old labels to remove.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// New top-left corners, only for items that move.
    pub moves: Vec<(String, Point)>,
    pub labels: Vec<Label>,
    /// Labels of an earlier clustering among the items, replaced by the new ones.
    pub remove: Vec<String>,
}

/// Whether arranging may move `item` (see the module docs for what is skipped and why).
pub fn is_arrangeable(item: &ItemSnapshot) -> bool {
    item.place.is_none()
        && !item.kind.is_map_part()
        && !matches!(item.kind, ItemKind::Connector | ItemKind::StoryMap)
}

/// Plans `op` on `pieces` (already filtered with [`is_arrangeable`]) in `area`.
pub fn plan(op: Op, pieces: &[Piece], area: Area) -> Plan {
    let mut pieces = pieces.to_vec();
    crate::sort::sort_by(&mut pieces, |a, b| a.id.cmp(b.id));
    pieces.dedup_by(|a, b| a.id == b.id);
    let mut plan = match op {
        Op::Sort(key) => {
            let pieces = order::sorted(key, &pieces);
            Plan {
                moves: grid::flow(&pieces, area),
                ..Plan::default()
            }
        }
        Op::Tidy => {
            let pieces = order::reading_order(&pieces);
            Plan {
                moves: grid::flow(&pieces, area),
                ..Plan::default()
            }
        }
        Op::Cluster(key) => cluster::plan(key, &pieces, area),
        Op::Align(edge) => Plan {
            moves: grid::align(&pieces, edge),
            ..Plan::default()
        },
        Op::Distribute(axis) => Plan {
            moves: grid::distribute(&pieces, axis),
            ..Plan::default()
        },
    };
    // Writing an unchanged position would still leave a tombstone.
    let now: HashMap<&str, Point> = pieces.iter().map(|p| (p.id, p.item.pos)).collect();
    plan.moves
        .retain(|(id, pos)| now.get(id.as_str()) != Some(pos));
    plan
}
