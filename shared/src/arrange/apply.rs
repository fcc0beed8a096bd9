//! [`Board::arrange`]: resolves a target to the items it arranges, plans, and writes the plan
//! in the caller's transaction (moves through [`Board::move_items`], labels through
//! [`Board::create_label`]), so an arrangement is one undo step and one update.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use yrs::TransactionMut;

use super::{Area, FRAME_PADDING, Op, Piece, Plan, SortKey, Target, is_arrangeable, plan};
use crate::model::{
    Board, BoardSnapshot, DEFAULT_LABEL_SIZE, ItemKind, ItemSnapshot, ModelError, Point, Size,
    votes,
};

/// What an arrangement wrote.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Arranged {
    /// Items given a new position (a frame's carried contents included), in id order.
    pub moved: Vec<String>,
    /// Cluster labels created.
    pub labels: Vec<String>,
    /// Earlier cluster labels removed.
    pub removed: Vec<String>,
    /// The frame that was grown to hold its arranged contents, with its new size.
    pub grown: Option<(String, Size)>,
}

impl Arranged {
    pub fn is_empty(&self) -> bool {
        *self == Arranged::default()
    }
}

impl Target {
    /// The target a selection means: the frame's contents when it is exactly one frame,
    /// else the selected items.
    pub fn of_selection(snapshot: &BoardSnapshot, ids: &[String]) -> Target {
        match ids {
            [id] if snapshot
                .items
                .get(id)
                .is_some_and(|i| i.kind == ItemKind::Frame) =>
            {
                Target::Frame(id.clone())
            }
            _ => Target::Items(ids.to_vec()),
        }
    }
}

impl Board {
    /// Arranges `target` by `op` in `txn` (see [`crate::arrange`]): skips what the module
    /// docs say it skips, carries frames' contents, and when the target is a frame, grows
    /// the frame if its arranged contents do not fit. Cluster labels are signed by `author`
    /// at `created_at`. Fails only if a target frame is missing or not a frame.
    pub fn arrange(
        &self,
        txn: &mut TransactionMut,
        target: &Target,
        op: Op,
        author: &str,
        created_at: f64,
    ) -> Result<Arranged, ModelError> {
        // Only the items involved are read: a board may hold 10,000 notes.
        let mut items: BTreeMap<String, ItemSnapshot> = BTreeMap::new();
        let read = |items: &mut BTreeMap<String, ItemSnapshot>, id: &str| {
            if !items.contains_key(id)
                && let Some(item) = self.item_snapshot(txn, id)
            {
                items.insert(id.to_owned(), item);
            }
        };
        let (ids, area, frame) = match target {
            Target::Items(ids) => (ids.clone(), Area::Selection, None),
            Target::Frame(id) => {
                let item = self
                    .item_snapshot(txn, id)
                    .ok_or_else(|| ModelError::NoSuchItem(id.clone()))?;
                if item.kind != ItemKind::Frame {
                    return Err(ModelError::WrongKind {
                        id: id.clone(),
                        expected: "frame",
                    });
                }
                let area = Area::Frame {
                    pos: item.pos,
                    size: item.size,
                };
                (self.frame_contents(txn, id), area, Some(id.as_str()))
            }
        };
        for id in &ids {
            read(&mut items, id);
        }
        let chosen: BTreeSet<String> = ids
            .iter()
            .filter(|id| items.get(*id).is_some_and(is_arrangeable))
            .cloned()
            .collect();
        // Frames among them carry what they hold; what is carried is not arranged itself.
        let mut carried: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for id in &chosen {
            if items[id].kind == ItemKind::Frame {
                let held = self.frame_contents(txn, id);
                for h in &held {
                    read(&mut items, h);
                }
                let held = held
                    .into_iter()
                    .filter(|h| items.get(h).is_some_and(is_arrangeable))
                    .collect();
                carried.insert(id.clone(), held);
            }
        }
        let held: HashSet<&str> = carried.values().flatten().map(String::as_str).collect();
        // Round results are read only when they are needed: the other keys never look.
        let votes = match op {
            Op::Sort(SortKey::Votes) => votes(&self.round_results(txn)),
            _ => HashMap::new(),
        };
        let pieces: Vec<Piece> = chosen
            .iter()
            .filter(|id| !held.contains(id.as_str()))
            .map(|id| Piece {
                id,
                item: &items[id],
                votes: votes.get(id).copied().unwrap_or(0),
            })
            .collect();
        let plan = plan(op, &pieces, area);
        let moves = with_carried(&items, &plan, &carried);
        let mut done = Arranged {
            moved: moves.iter().map(|(id, _)| id.clone()).collect(),
            removed: self.delete_items(txn, &plan.remove),
            ..Arranged::default()
        };
        self.move_items(txn, &moves)?;
        for label in &plan.labels {
            let id = self.create_label(txn, label.pos, &label.text, author, created_at)?;
            done.labels.push(id);
        }
        if let (Some(id), Area::Frame { pos, size }) = (frame, area) {
            let needed = fitting_size(&items, &plan, &moves, pos, size);
            if needed != size {
                self.resize_item(txn, id, needed)?;
                done.grown = Some((id.to_owned(), needed));
            }
        }
        Ok(done)
    }
}

/// The plan's moves plus, for every frame that moves, its contents moved by as much (each
/// item once, by the first frame in id order that holds it), in id order.
fn with_carried(
    items: &BTreeMap<String, ItemSnapshot>,
    plan: &Plan,
    carried: &BTreeMap<String, Vec<String>>,
) -> Vec<(String, Point)> {
    let planned: HashMap<&str, Point> =
        plan.moves.iter().map(|(id, p)| (id.as_str(), *p)).collect();
    let mut moves: BTreeMap<String, Point> = plan.moves.iter().cloned().collect();
    for (frame, held) in carried {
        let (Some(to), Some(item)) = (planned.get(frame.as_str()), items.get(frame)) else {
            continue;
        };
        let delta = [to[0] - item.pos[0], to[1] - item.pos[1]];
        for id in held {
            if let Some(h) = items.get(id) {
                moves
                    .entry(id.clone())
                    .or_insert([h.pos[0] + delta[0], h.pos[1] + delta[1]]);
            }
        }
    }
    moves.into_iter().collect()
}

/// The size frame (`pos`, `size`) needs to hold everything arranged in it with its padding:
/// never smaller than now.
fn fitting_size(
    items: &BTreeMap<String, ItemSnapshot>,
    plan: &Plan,
    moves: &[(String, Point)],
    pos: Point,
    size: Size,
) -> Size {
    let mut right = pos[0] + size[0];
    let mut bottom = pos[1] + size[1];
    let rects = moves
        .iter()
        .filter_map(|(id, at)| items.get(id).map(|i| (*at, i.size)))
        .chain(plan.labels.iter().map(|l| (l.pos, DEFAULT_LABEL_SIZE)));
    for (at, [w, h]) in rects {
        right = right.max(at[0] + w + FRAME_PADDING);
        bottom = bottom.max(at[1] + h + FRAME_PADDING);
    }
    [right - pos[0], bottom - pos[1]]
}
