//! [`LockIndex`]: per client, the clock ranges of the board's blocks that belong to locked
//! items, and, while a map is locked for placement, of every item's own values and `place`
//! values (a story leaves a map when either is replaced or deleted).

use std::collections::HashMap;

use crate::model::keys;
use crate::wire::validate::any_map_strings;
use crate::wire::visit::{ContentKind, Id, ParentRef};

use super::blocks::{Blocks, Lookup, Owner, Slot};
use super::{LockError, Locks, Verdict};

/// A run of one client's clocks whose blocks have one owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    start: u32,
    /// The clock after the run.
    end: u32,
    owner: Owner,
    /// Its blocks are deleted already: deleting them again changes nothing. Every update a
    /// page sends in sync step 2 carries the document's whole delete set.
    deleted: bool,
}

/// What the server keeps to check updates against a board's locks: built once from the
/// board's state when the locks change, extended with every update the board applies.
#[derive(Debug, Clone, Default)]
pub struct LockIndex {
    /// The locks it was built for.
    locks: Locks,
    /// Item ids the index knows, by number: locked items and maps locked for placement,
    /// and while a map is locked for placement, every item (stories may enter it).
    names: Vec<String>,
    /// Number of each name in `names`.
    ids: HashMap<String, u32>,
    /// By number: whether the item is locked.
    locked: Vec<bool>,
    /// By number: whether the item is a map locked for placement.
    maps: Vec<bool>,
    /// Items whose `place` names a map locked for placement: item -> map (numbers). Only
    /// grows between builds (a story taken out by the facilitator stays watched until the
    /// next build: safe, and the locks change rarely).
    placed: HashMap<u32, u32>,
    /// Runs per client, sorted by clock, not overlapping.
    runs: HashMap<u64, Vec<Run>>,
    /// The clock after the board's last block of each client (the state vector), as far as
    /// `build` and `extend` have seen.
    known: HashMap<u64, u32>,
}

impl Lookup for LockIndex {
    fn owner_at(&self, id: Id) -> Option<Owner> {
        let runs = self.runs.get(&id.client)?;
        let i = runs.partition_point(|r| r.end <= id.clock);
        runs.get(i).filter(|r| r.start <= id.clock).map(|r| r.owner)
    }

    fn item(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    fn is_locked(&self, item: u32) -> bool {
        self.locked.get(item as usize).copied().unwrap_or(false)
    }

    fn is_placed(&self, item: u32) -> bool {
        self.placed.contains_key(&item)
    }

    fn known(&self, client: u64) -> u32 {
        self.known.get(&client).copied().unwrap_or(0)
    }
}

impl LockIndex {
    /// The index of a board whose whole state is `state_v1` (what
    /// `txn.encode_state_as_update_v1(&StateVector::default())` gives). O(board).
    pub fn build(state_v1: &[u8], locks: &Locks) -> Result<LockIndex, LockError> {
        let mut index = LockIndex {
            locks: locks.clone(),
            ..LockIndex::default()
        };
        for item in locks.items() {
            let n = index.intern(item);
            index.locked[n as usize] = true;
        }
        for map in locks.placement_maps() {
            let n = index.intern(map);
            index.maps[n as usize] = true;
        }
        index.add(state_v1, true)?;
        Ok(index)
    }

    /// The locks the index was built for.
    pub fn locks(&self) -> &Locks {
        &self.locks
    }

    /// Whether `update_v1`, applied to the board, would change a locked item or a map's
    /// placement locked for it. The update must be one the board can apply whole (the
    /// server checks [`crate::wire::validate::dependencies`] first). O(update × log index).
    pub fn check(&self, update_v1: &[u8]) -> Result<Verdict, LockError> {
        let mut blocks = Blocks::read(update_v1)?;
        blocks.trim(self);
        blocks.resolve(self)?;
        let placement = !self.locks.placement.is_empty();
        for b in blocks.blocks.iter().filter(|b| !b.stale) {
            let Some(item) = &b.item else { continue };
            let owner = b.owner();
            if let Some(n) = owner.lock {
                return Ok(self.touches(n));
            }
            if let Some(slot) = owner.slot
                && let Some(&map) = self.placed.get(&slot.item)
            {
                return Ok(self.touches(map));
            }
            if !placement {
                continue;
            }
            if item.content == ContentKind::Any {
                if let Some(map) = self.names_placement_map(item.raw)? {
                    return Ok(self.touches(map));
                }
            } else if item.content != ContentKind::Deleted
                && owner.slot.is_some_and(|s| s.place)
                && let Some(map) = self.maps.iter().position(|&m| m)
            {
                // A `place` that is not an `Any` value: no client writes one; refuse it.
                return Ok(self.touches(map as u32));
            }
        }
        // A page's sync step 2 carries the board's whole delete set, grouped by client and
        // sorted: walk each client's runs forward from where the last range left off.
        let mut runs: (Option<u64>, &[Run]) = (None, &[]);
        let (mut from, mut last_start) = (0, 0);
        for &(client, clock, len) in &blocks.deletes {
            if runs.0 != Some(client) || clock < last_start {
                let of_client = self.runs.get(&client).map_or(&[][..], Vec::as_slice);
                runs = (Some(client), of_client);
                from = 0;
            }
            last_start = clock;
            from = first_ending_after(runs.1, from, clock);
            if let Some(n) = self.deleted_lock(&runs.1[from..], clock.saturating_add(len)) {
                return Ok(self.touches(n));
            }
        }
        Ok(Verdict::Clean)
    }

    /// Adds what `update_v1` brought, once the board has applied it (whoever sent it:
    /// call it for every applied update, checked or not, so that the index stays complete
    /// and knows the board's clocks). O(update × log index).
    ///
    /// Pass what the applying transaction encodes (`txn.encode_update_v1()` after
    /// `apply_update`), not the bytes received: it also holds the map values that yrs
    /// deleted because a new value replaced them, so the index knows they are gone and a
    /// page that deletes them again (as sync step 2 does) is not refused. Received bytes are
    /// safe too, only stricter.
    pub fn extend(&mut self, update_v1: &[u8]) -> Result<(), LockError> {
        self.add(update_v1, false)
    }

    /// Indexes the blocks of `update` that belong to locks; `whole`: it is the board's
    /// whole state (its delete set tells which values are gone).
    fn add(&mut self, update: &[u8], whole: bool) -> Result<(), LockError> {
        let mut blocks = Blocks::read(update)?;
        if !self.locks.placement.is_empty() {
            // Every item may enter a map locked for placement: watch them all.
            for b in &blocks.blocks {
                if let Some(item) = &b.item
                    && item.parent == ParentRef::Root(keys::ITEMS)
                    && let Some(key) = item.parent_sub
                {
                    self.intern(key);
                }
            }
        }
        blocks.trim(self);
        blocks.resolve(self)?;
        let mut deleted = if whole {
            blocks.deletes.clone()
        } else {
            Vec::new()
        };
        deleted.sort_unstable();
        for b in blocks.blocks.iter().filter(|b| !b.stale) {
            let owner = b.owner();
            if owner.lock.is_some() || owner.slot.is_some() {
                self.push_run(b.start.client, b.start.clock, b.end, owner);
            }
            if let (Some(Slot { item, place: true }), Some(content)) = (owner.slot, &b.item)
                && content.content == ContentKind::Any
                && !is_deleted(&deleted, b.start)
                && let Some(map) = self.names_placement_map(content.raw)?
            {
                self.placed.entry(item).or_insert(map);
            }
        }
        for b in &blocks.blocks {
            let known = self.known.entry(b.start.client).or_default();
            *known = (*known).max(b.end);
        }
        for &(client, clock, len) in &blocks.deletes {
            self.mark_deleted(client, clock, clock.saturating_add(len));
        }
        Ok(())
    }

    /// Marks `start..end` of `client` deleted, splitting the runs it cuts.
    fn mark_deleted(&mut self, client: u64, start: u32, end: u32) {
        let Some(runs) = self.runs.get_mut(&client) else {
            return;
        };
        let first = runs.partition_point(|r| r.end <= start);
        let last = first + runs[first..].partition_point(|r| r.start < end);
        if runs[first..last].iter().all(|r| r.deleted) {
            return;
        }
        let mut pieces = Vec::with_capacity(last - first + 2);
        for r in &runs[first..last] {
            let cut = |from: u32, to: u32, deleted: bool| Run {
                start: from,
                end: to,
                owner: r.owner,
                deleted,
            };
            if r.deleted {
                pieces.push(*r);
                continue;
            }
            let (from, to) = (r.start.max(start), r.end.min(end));
            if r.start < from {
                pieces.push(cut(r.start, from, false));
            }
            pieces.push(cut(from, to, true));
            if to < r.end {
                pieces.push(cut(to, r.end, false));
            }
        }
        runs.splice(first..last, pieces);
    }

    /// The map locked for placement that `Any` content (a place value) names, if any.
    fn names_placement_map(&self, raw: &[u8]) -> Result<Option<u32>, LockError> {
        let mut found = None;
        any_map_strings(raw, keys::PLACE_MAP, |name| {
            if let Some(n) = name.and_then(|name| self.ids.get(name))
                && self.maps[*n as usize]
            {
                found = found.or(Some(*n));
            }
        })?;
        Ok(found)
    }

    /// A lock that deleting up to `end` from the start of `runs` (those ending after the
    /// range's start) would touch: a live block of a locked item, or an item's own or
    /// `place` value while the item sits in a map locked for placement.
    fn deleted_lock(&self, runs: &[Run], end: u32) -> Option<u32> {
        runs.iter()
            .take_while(|r| r.start < end)
            .filter(|r| !r.deleted)
            .find_map(|r| {
                r.owner
                    .lock
                    .or_else(|| r.owner.slot.and_then(|s| self.placed.get(&s.item).copied()))
            })
    }

    fn touches(&self, n: u32) -> Verdict {
        Verdict::Touches {
            item: self.names.get(n as usize).cloned().unwrap_or_default(),
        }
    }

    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&n) = self.ids.get(name) {
            return n;
        }
        let n = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(name.to_owned());
        self.ids.insert(name.to_owned(), n);
        self.locked.push(false);
        self.maps.push(false);
        n
    }

    /// Records `start..end` of `client` as `owner`'s. Blocks arrive in clock order, so this
    /// appends (merging with the run before when the owner is the same); anything else (an
    /// update overlapping what the index has) is inserted where it fits, minus the overlap.
    fn push_run(&mut self, client: u64, start: u32, end: u32, owner: Owner) {
        let runs = self.runs.entry(client).or_default();
        let run = Run {
            start,
            end,
            owner,
            deleted: false,
        };
        match runs.last_mut() {
            None => runs.push(run),
            Some(last) if last.end == start && last.owner == owner && !last.deleted => {
                last.end = end
            }
            Some(last) if last.end <= start => runs.push(run),
            Some(_) => {
                let i = runs.partition_point(|r| r.start < start);
                let start = match i.checked_sub(1).and_then(|p| runs.get(p)) {
                    Some(prev) => start.max(prev.end),
                    None => start,
                };
                let end = runs.get(i).map_or(end, |next| end.min(next.start));
                if start < end {
                    runs.insert(i, Run { start, end, ..run });
                }
            }
        }
    }
}

/// The first of `runs` at or after `from` that ends after `clock`, galloping forward from
/// `from` (sorted delete ranges mostly land near one another).
fn first_ending_after(runs: &[Run], from: usize, clock: u32) -> usize {
    let ends_before = |i: usize| runs.get(i).is_some_and(|r| r.end <= clock);
    if !ends_before(from) {
        return from.min(runs.len());
    }
    let mut step = 1;
    while ends_before(from + step) {
        step *= 2;
    }
    let lo = from + step / 2;
    let hi = (from + step + 1).min(runs.len());
    lo + runs[lo..hi].partition_point(|r| r.end <= clock)
}

/// Whether `id` is in one of the sorted delete ranges (client, clock, length).
fn is_deleted(deleted: &[(u64, u32, u32)], id: Id) -> bool {
    let after = deleted.partition_point(|&(c, clock, _)| (c, clock) <= (id.client, id.clock));
    after.checked_sub(1).is_some_and(|i| {
        let (c, clock, len) = deleted[i];
        c == id.client && id.clock < clock.saturating_add(len)
    })
}
