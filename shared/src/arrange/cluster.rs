//! Clustering: items grouped by their first tag or their colour, the groups side by side
//! (wrapping inside a frame's width), each group a small grid under a text label naming it
//! and counting its items ("#auth (4)", "untagged (2)", "blue (3)").
//!
//! Clustering again should not pile up labels, so a text label among the items that reads
//! like one of ours (`name (count)`) is taken as an earlier cluster's label: it is removed
//! (in the same transaction, so undo brings it back) and not arranged as an item.

use std::cmp::Ordering;

use super::order::{color_rank, natural_cmp, reading_order};
use super::{Area, ClusterKey, FRAME_PADDING, GROUP_GAP, LABEL_GAP, Label, Piece, Plan, grid};
use crate::model::{DEFAULT_LABEL_SIZE, ItemKind};

/// The name of the group of items without a tag.
pub const UNTAGGED: &str = "untagged";

/// One group: how it sorts, what its label says, what it holds.
struct Group<'a> {
    /// Folded tag (lowercase) or colour name; `None` for untagged items.
    key: Option<String>,
    /// What the label shows: the tag as the group's first item spells it, or the colour.
    name: String,
    pieces: Vec<Piece<'a>>,
}

/// Whether `text` reads like a cluster label: a name, a space, a count in parentheses.
pub(super) fn is_cluster_label(text: &str) -> bool {
    let Some(inner) = text.strip_suffix(')') else {
        return false;
    };
    let Some((name, count)) = inner.rsplit_once(" (") else {
        return false;
    };
    !name.trim().is_empty() && !count.is_empty() && count.chars().all(|c| c.is_ascii_digit())
}

pub(super) fn plan(key: ClusterKey, pieces: &[Piece], area: Area) -> Plan {
    let (old, items): (Vec<Piece>, Vec<Piece>) = pieces
        .iter()
        .partition(|p| p.item.kind == ItemKind::Text && is_cluster_label(&p.item.text));
    let groups = group(key, &items);
    let origin = grid::origin(pieces, area);
    let limit = match area {
        Area::Selection => f64::INFINITY,
        Area::Frame { pos, size } => pos[0] + size[0] - FRAME_PADDING,
    };
    let label_h = DEFAULT_LABEL_SIZE[1] + LABEL_GAP;
    let mut plan = Plan {
        remove: old.iter().map(|p| p.id.to_owned()).collect(),
        ..Plan::default()
    };
    let [mut x, mut y] = origin;
    let mut row_bottom = y;
    for g in groups {
        let columns = (g.pieces.len() as f64).sqrt().ceil() as usize;
        let mut laid = grid::place(&g.pieces, [x, y + label_h], columns);
        let width = laid.1[0].max(DEFAULT_LABEL_SIZE[0]);
        if x > origin[0] && x + width > limit {
            x = origin[0];
            y = row_bottom + GROUP_GAP;
            laid = grid::place(&g.pieces, [x, y + label_h], columns);
        }
        let text = match (key, &g.key) {
            (ClusterKey::Tag, Some(_)) => format!("#{} ({})", g.name, g.pieces.len()),
            _ => format!("{} ({})", g.name, g.pieces.len()),
        };
        plan.labels.push(Label { text, pos: [x, y] });
        plan.moves.extend(laid.0);
        row_bottom = row_bottom.max(y + label_h + laid.1[1]);
        x += width + GROUP_GAP;
    }
    plan
}

/// The groups in order: tags in natural order (untagged last), or colours in the palette's
/// order. Inside a group, items keep their reading order.
fn group<'a>(key: ClusterKey, items: &[Piece<'a>]) -> Vec<Group<'a>> {
    let mut groups: Vec<Group<'a>> = Vec::new();
    for piece in items {
        let (folded, name) = match key {
            ClusterKey::Tag => match piece.item.tags.first() {
                Some(tag) => (Some(tag.to_lowercase()), tag.clone()),
                None => (None, UNTAGGED.to_owned()),
            },
            ClusterKey::Color => (Some(piece.item.color.clone()), piece.item.color.clone()),
        };
        match groups.iter_mut().find(|g| g.key == folded) {
            Some(g) => g.pieces.push(*piece),
            None => groups.push(Group {
                key: folded,
                name,
                pieces: vec![*piece],
            }),
        }
    }
    crate::sort::sort_by(&mut groups, |a, b| match (key, &a.key, &b.key) {
        (ClusterKey::Color, Some(x), Some(y)) => color_rank(x).cmp(&color_rank(y)),
        (_, Some(x), Some(y)) => natural_cmp(x, y),
        (_, Some(_), None) => Ordering::Less,
        (_, None, Some(_)) => Ordering::Greater,
        (_, None, None) => Ordering::Equal,
    });
    for g in &mut groups {
        g.pieces = reading_order(&g.pieces);
        // The label shows the spelling of the group's first item as people read them.
        if let Some(tag) = g.key.as_ref().and_then(|_| g.pieces[0].item.tags.first())
            && key == ClusterKey::Tag
        {
            g.name = tag.clone();
        }
    }
    groups
}
