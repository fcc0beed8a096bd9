//! Moving one node's data directory into Redis for a cluster (`huddle migrate`): every board
//! (its document folded into one update, its meta), then every other tree entry by entry
//! (people, grants, links, the server's secrets, rounds, comments, versions, notifications),
//! then the id counter. People keep their cookies and the admin link stays the same: the
//! secrets move with the rest.

use yrs::{ReadTxn, StateVector, Transact};

use super::{BOARDS_TREE, Store, StoreError, kv};

/// sled's own trees, and the board trees whose contents move as documents, not entries.
const NOT_COPIED: &[&str] = &["__sled__default", BOARDS_TREE, "snapshots", "log"];
/// Entries written to Redis per batch (one MULTI).
const BATCH: usize = 1000;

/// What a migration moved.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Migrated {
    pub boards: u64,
    pub trees: u64,
    pub entries: u64,
}

/// Where a migration is, for its progress lines.
pub enum Progress<'a> {
    Board { done: u64, of: u64 },
    Tree { name: &'a str, entries: u64 },
}

impl Store {
    /// Copies everything in this (sled) store into `target` (Redis), which must hold no board
    /// yet. Blocking.
    pub fn migrate_into(
        &self,
        target: &Store,
        mut progress: impl FnMut(Progress<'_>),
    ) -> Result<Migrated, StoreError> {
        let kv::Db::Sled(db) = &self.inner.db else {
            return Err(StoreError::Migrate(
                "the source must be a data directory".into(),
            ));
        };
        let Some(redis) = target.redis() else {
            return Err(StoreError::Migrate("the target must be Redis".into()));
        };
        let there = target.list_boards()?.len();
        if there > 0 {
            return Err(StoreError::Migrate(format!(
                "Redis already holds {there} boards; migrate into an empty Redis"
            )));
        }
        let mut migrated = Migrated::default();
        let boards = self.list_boards()?;
        let of = boards.len() as u64;
        for (id, meta) in boards {
            let doc = self.read(&id)?.build(&id)?;
            let update = doc
                .transact()
                .encode_state_as_update_v1(&StateVector::default());
            redis.insert_board(&id, &meta, &update)?;
            migrated.boards += 1;
            progress(Progress::Board {
                done: migrated.boards,
                of,
            });
        }
        for name in db.tree_names() {
            let name = String::from_utf8_lossy(&name).into_owned();
            if NOT_COPIED.contains(&name.as_str()) {
                continue;
            }
            let (from, to) = (
                self.inner.db.open_tree(&name)?,
                target.inner.db.open_tree(&name)?,
            );
            let mut batch = kv::Batch::default();
            let mut in_batch = 0;
            let mut entries = 0;
            for entry in from.iter() {
                let (key, value) = entry?;
                batch.insert(key, value);
                in_batch += 1;
                entries += 1;
                if in_batch == BATCH {
                    to.apply_batch(std::mem::take(&mut batch))?;
                    in_batch = 0;
                }
            }
            to.apply_batch(batch)?;
            migrated.trees += 1;
            migrated.entries += entries;
            progress(Progress::Tree {
                name: &name,
                entries,
            });
        }
        // Notification sequence numbers keep rising past the ones already given.
        redis.raise_ids(db.generate_id()?)?;
        Ok(migrated)
    }
}
