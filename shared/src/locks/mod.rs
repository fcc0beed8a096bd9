//! Locked structure: knowing, before an update is applied, whether it would change a locked
//! item (or place a story into a map locked for placement).
//!
//! A board is one yrs document, and an update is a list of blocks that name where they go
//! only indirectly: a map entry or a character names its left or right neighbour (its
//! origin), or its parent as a block id, and only the first value of a key names the root
//! map `items` and the item id. yrs 0.28.1 does not tell which branch holds an id, so
//! [`LockIndex`] keeps its own: the clock ranges of every block that belongs to a locked
//! item (deleted ones too, as a crafted update can hang a new value on an old deleted one).
//! [`LockIndex::check`] resolves an update's blocks through the update itself and the index,
//! in time proportional to the update; [`LockIndex::extend`] adds what an applied update
//! brought, so the index never needs rebuilding until the locks change.
//!
//! Resolution follows yrs (`Update::missing_dependency`, `TransactionMut::integrate_item`):
//! an item's parent is the one it names, else its left origin's, else (the left origin
//! being garbage) its right origin's. The check is deliberately wider: a block counts as
//! touching a lock if its parent, either origin, or (for a block yrs trims because the
//! board already has its start) the block before it belongs to one. A real client's update
//! has all of them in one parent, so only crafted updates see the difference.
//!
//! # Layout
//!
//! - `blocks`: an update's blocks as the walk reports them, and their owners, resolved
//!   without recursion (chains of origins are as long as a note's typing history).
//! - `index`: [`LockIndex`]: the locked ranges per client, `build`, `check`, `extend`.

mod blocks;
mod index;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use thiserror::Error;

use crate::wire::validate::InvalidUpdate;

pub use index::LockIndex;

/// What is locked on a board: items nobody but the facilitator and owner may change, and
/// story maps nobody else may place stories into (or take them out of).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Locks {
    /// Item ids (keys of the root map `items`).
    items: BTreeSet<String>,
    /// Ids of story maps locked for placement.
    placement: BTreeSet<String>,
}

impl Locks {
    pub fn new() -> Self {
        Locks::default()
    }

    /// Locks an item; whether it was unlocked.
    pub fn lock(&mut self, item: impl Into<String>) -> bool {
        self.items.insert(item.into())
    }

    /// Unlocks an item; whether it was locked.
    pub fn unlock(&mut self, item: &str) -> bool {
        self.items.remove(item)
    }

    /// Locks a story map for placement: nobody else may place a story or part into it, move
    /// one within it, or take one out (which includes deleting a story that sits in it).
    pub fn lock_placement(&mut self, map: impl Into<String>) -> bool {
        self.placement.insert(map.into())
    }

    pub fn unlock_placement(&mut self, map: &str) -> bool {
        self.placement.remove(map)
    }

    pub fn is_locked(&self, item: &str) -> bool {
        self.items.contains(item)
    }

    pub fn is_placement_locked(&self, map: &str) -> bool {
        self.placement.contains(map)
    }

    /// Locked item ids, in order.
    pub fn items(&self) -> impl Iterator<Item = &str> {
        self.items.iter().map(String::as_str)
    }

    /// Maps locked for placement, in order.
    pub fn placement_maps(&self) -> impl Iterator<Item = &str> {
        self.placement.iter().map(String::as_str)
    }

    /// Nothing locked: the server can skip the index altogether.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty() && self.placement.is_empty()
    }
}

/// What an update would do to locked things.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// It changes no locked item and places nothing in a map locked for placement.
    Clean,
    /// It would change locked item `item` (the first found), or place into, move within or
    /// take out of map `item` locked for placement.
    Touches { item: String },
}

/// Why an update (or a document state) could not be checked. The server refuses the update.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LockError {
    #[error("invalid update: {0}")]
    Invalid(#[from] InvalidUpdate),
    /// Blocks whose parents and origins refer to one another in a circle; no encoder writes
    /// that, and no parent can be told.
    #[error("the block at clock {clock} of client {client} is its own ancestor")]
    Cycle { client: u64, clock: u32 },
}
