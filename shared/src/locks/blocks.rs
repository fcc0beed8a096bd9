//! An update's blocks, read by the validating walk, and the item each belongs to.
//!
//! A block's owner is the top-level item (key of the root map `items`) it sits under:
//! a value of `items[K]` belongs to K, and so does everything whose parent or origin
//! belongs to K. Chains of origins are as long as a note's typing history (100k blocks is a
//! long note, not an attack), so owners are resolved with an explicit stack and memoised.

use std::cmp::Reverse;

use crate::model::keys;
use crate::wire::validate::{InvalidUpdate, Limits, walk_update_v1};
use crate::wire::visit::{Id, ItemStruct, ParentRef, Struct, Visit};

use super::LockError;

/// A block that is one of an item's slots the placement lock watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Slot {
    /// The item (an index into the lock index's names).
    pub item: u32,
    /// `false`: a value of `items[item]` (the item itself); `true`: a value of its `place`.
    pub place: bool,
}

/// What a block belongs to, as far as locks care.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Owner {
    /// The locked item it belongs to.
    pub lock: Option<u32>,
    /// The item slot it is a value of, if it is one the placement lock watches.
    pub slot: Option<Slot>,
}

/// What resolution needs from the board: the lock index.
pub(super) trait Lookup {
    /// The owner of the board's block holding `id`, if the index keeps it.
    fn owner_at(&self, id: Id) -> Option<Owner>;
    /// The index's number for item `name`, if it keeps one.
    fn item(&self, name: &str) -> Option<u32>;
    fn is_locked(&self, item: u32) -> bool;
    /// Whether the item sits in a map locked for placement.
    fn is_placed(&self, item: u32) -> bool;
    /// The clock after the board's last block of `client`.
    fn known(&self, client: u64) -> u32;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    New,
    /// On the resolution stack: reaching it again is a cycle.
    Busy,
    Done(Owner),
}

/// One block of an update.
#[derive(Debug, Clone, Copy)]
pub(super) struct Block<'a> {
    /// Where it starts once yrs has cut off what the board already has.
    pub start: Id,
    /// The clock after it.
    pub end: u32,
    /// `None` for GC and skip structs, which have no parent.
    pub item: Option<ItemStruct<'a>>,
    /// The board's block just before `start`, when yrs cuts this block (it becomes the
    /// new part's left origin).
    pub trimmed: Option<Id>,
    /// The board has all of it: yrs drops it, and ids in it mean the board's block.
    pub stale: bool,
    state: State,
}

impl Block<'_> {
    pub fn owner(&self) -> Owner {
        match self.state {
            State::Done(owner) => owner,
            _ => Owner::default(),
        }
    }
}

/// An update's blocks (in the update's order: clients descending, clocks ascending) and
/// its delete ranges (client, clock, length).
#[derive(Debug, Default)]
pub(super) struct Blocks<'a> {
    pub blocks: Vec<Block<'a>>,
    pub deletes: Vec<(u64, u32, u32)>,
}

impl<'a> Visit<'a> for Blocks<'a> {
    fn structure(&mut self, s: Struct<'a>) {
        let (start, len, item) = match s {
            Struct::Gc { id, len } | Struct::Skip { id, len } => (id, len, None),
            Struct::Item(item) => (item.id, item.len, Some(item)),
        };
        if len == 0 {
            // yrs gives such an item no clocks (an empty string): nothing can refer to it.
            return;
        }
        self.blocks.push(Block {
            start,
            end: start.clock.saturating_add(len),
            item,
            trimmed: None,
            stale: false,
            state: State::New,
        });
    }

    fn delete_range(&mut self, client: u64, clock: u32, len: u32) {
        if len > 0 {
            self.deletes.push((client, clock, len));
        }
    }
}

/// Where an id leads.
enum Target {
    Local(usize),
    Resolved(Owner),
}

impl<'a> Blocks<'a> {
    /// Reads `update` (validating it as the walk does).
    pub fn read(update: &'a [u8]) -> Result<Self, InvalidUpdate> {
        let mut blocks = Blocks::default();
        walk_update_v1(update, &Limits::default(), &mut blocks)?;
        Ok(blocks)
    }

    /// Cuts off what the board already has, as `Doc::apply_update` does before integrating.
    pub fn trim(&mut self, board: &impl Lookup) {
        for b in &mut self.blocks {
            let known = board.known(b.start.client);
            if b.end <= known {
                b.stale = true;
            } else if b.start.clock < known {
                b.start.clock = known;
                b.trimmed = Some(Id::new(b.start.client, known - 1));
            }
        }
    }

    /// Resolves every block's owner.
    pub fn resolve(&mut self, board: &impl Lookup) -> Result<(), LockError> {
        let mut stack = Vec::new();
        for i in 0..self.blocks.len() {
            if self.blocks[i].state == State::New && !self.blocks[i].stale {
                self.resolve_from(i, board, &mut stack)?;
            }
        }
        Ok(())
    }

    /// Depth-first from block `root`, with `stack` in place of recursion.
    fn resolve_from(
        &mut self,
        root: usize,
        board: &impl Lookup,
        stack: &mut Vec<usize>,
    ) -> Result<(), LockError> {
        stack.clear();
        stack.push(root);
        self.blocks[root].state = State::Busy;
        while let Some(&top) = stack.last() {
            let mut next = None;
            for id in self.dependencies(top).into_iter().flatten() {
                if let Target::Local(j) = self.target(id, board) {
                    match self.blocks[j].state {
                        State::New => {
                            next = Some(j);
                            break;
                        }
                        State::Busy => {
                            let at = self.blocks[top].start;
                            return Err(LockError::Cycle {
                                client: at.client,
                                clock: at.clock,
                            });
                        }
                        State::Done(_) => {}
                    }
                }
            }
            if let Some(j) = next {
                self.blocks[j].state = State::Busy;
                stack.push(j);
                continue;
            }
            let owner = self.owner_of(top, board);
            self.blocks[top].state = State::Done(owner);
            stack.pop();
        }
        Ok(())
    }

    /// The ids block `i`'s owner depends on.
    fn dependencies(&self, i: usize) -> [Option<Id>; 4] {
        let b = &self.blocks[i];
        let Some(item) = &b.item else {
            return [None; 4];
        };
        let parent = match item.parent {
            ParentRef::Id(id) => Some(id),
            _ => None,
        };
        [item.origin, item.right_origin, parent, b.trimmed]
    }

    /// The block holding `id`: the board's (through the index) if it has it, else this
    /// update's. An id the board has but the index does not keep belongs to no lock.
    fn target(&self, id: Id, board: &impl Lookup) -> Target {
        if let Some(owner) = board.owner_at(id) {
            return Target::Resolved(owner);
        }
        if id.clock >= board.known(id.client) {
            let key = (Reverse(id.client), id.clock);
            let after = self
                .blocks
                .partition_point(|b| (Reverse(b.start.client), b.start.clock) <= key);
            if let Some(j) = after.checked_sub(1) {
                let b = &self.blocks[j];
                if b.start.client == id.client && id.clock < b.end && !b.stale {
                    return Target::Local(j);
                }
            }
        }
        Target::Resolved(Owner::default())
    }

    fn owner_at(&self, id: Id, board: &impl Lookup) -> Owner {
        match self.target(id, board) {
            Target::Local(j) => self.blocks[j].owner(),
            Target::Resolved(owner) => owner,
        }
    }

    /// Block `i`'s owner, once its dependencies are resolved: what its parent says, joined
    /// with what each origin and the trimmed-off block before it say.
    fn owner_of(&self, i: usize, board: &impl Lookup) -> Owner {
        let b = &self.blocks[i];
        let Some(item) = &b.item else {
            return Owner::default();
        };
        let mut owner = match item.parent {
            ParentRef::Inferred => Owner::default(),
            ParentRef::Root(name) if name == keys::ITEMS => match item.parent_sub {
                Some(key) => match board.item(key) {
                    Some(n) => Owner {
                        lock: board.is_locked(n).then_some(n),
                        slot: Some(Slot {
                            item: n,
                            place: false,
                        }),
                    },
                    None => Owner::default(),
                },
                None => Owner::default(),
            },
            ParentRef::Root(_) => Owner::default(),
            ParentRef::Id(parent) => {
                let p = self.owner_at(parent, board);
                let is_place = item.parent_sub == Some(keys::PLACE);
                Owner {
                    lock: p.lock,
                    // A value of the item's `place`: its parent is the item's map.
                    slot: match p.slot {
                        Some(Slot {
                            item: n,
                            place: false,
                        }) if is_place => Some(Slot {
                            item: n,
                            place: true,
                        }),
                        _ => None,
                    },
                }
            }
        };
        for id in [item.origin, item.right_origin, b.trimmed]
            .into_iter()
            .flatten()
        {
            owner = join(owner, self.owner_at(id, board), board);
        }
        owner
    }
}

/// Both owners' locks and slots, preferring the one that matters: a lock over none, a slot
/// of an item in a placement-locked map over another.
fn join(a: Owner, b: Owner, board: &impl Lookup) -> Owner {
    let placed = |s: &Option<Slot>| s.is_some_and(|s| board.is_placed(s.item));
    Owner {
        lock: a.lock.or(b.lock),
        slot: if placed(&a.slot) || !placed(&b.slot) {
            a.slot.or(b.slot)
        } else {
            b.slot
        },
    }
}
