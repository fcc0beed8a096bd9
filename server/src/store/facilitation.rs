//! Facilitation beside the boards, in two trees:
//!
//! - `facilitation`: `{board}` -> [`StoredFacilitation`] (JSON): the public state with the
//!   whole history of facilitators (the document keeps the latest turns) and the locks;
//! - `private_notes`: `{board}/{person}/{note}` -> [`PrivateNote`] (JSON): notes written
//!   during private writing, each readable only by its author until it is published, then
//!   removed (the document has them).

use std::collections::BTreeMap;

use huddle_shared::facilitation::{Lock, PrivateNote, Public};
use serde::{Deserialize, Serialize};

use super::{Store, StoreError};

pub(super) struct FacilitationTrees {
    state: super::kv::Tree,
    private: super::kv::Tree,
}

/// A board's facilitation as the server keeps it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct StoredFacilitation {
    /// The public state, with every turn of the history.
    #[serde(default)]
    pub public: Public,
    /// Locked items, by id.
    #[serde(default)]
    pub locks: BTreeMap<String, Lock>,
    /// The latest private-writing sessions that ended: a note written in one by someone who
    /// took part, offline at the end, is published when they come back (room's `private`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ended_private: Vec<EndedPrivate>,
    /// Who took part in the private writing going on now (person ids): only they may publish
    /// a note of it after it ends.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub private_people: Vec<String>,
}

/// A private-writing session that ended, and who took part in it (present when it started,
/// said hello or wrote while it was on).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EndedPrivate {
    pub session: String,
    pub people: Vec<String>,
}

fn key(parts: &[&str]) -> Vec<u8> {
    parts.join("/").into_bytes()
}

fn prefix(parts: &[&str]) -> Vec<u8> {
    let mut k = key(parts);
    k.push(b'/');
    k
}

impl Store {
    pub(super) fn facilitation_trees(db: &super::kv::Db) -> Result<FacilitationTrees, StoreError> {
        Ok(FacilitationTrees {
            state: db.open_board_tree("facilitation")?,
            private: db.open_board_tree("private_notes")?,
        })
    }

    fn fac(&self) -> &FacilitationTrees {
        &self.inner.facilitation
    }

    /// The board's facilitation (default: none yet).
    pub fn facilitation(&self, board: &str) -> Result<StoredFacilitation, StoreError> {
        Ok(match self.fac().state.get(board)? {
            Some(v) => serde_json::from_slice(&v).unwrap_or_default(),
            None => StoredFacilitation::default(),
        })
    }

    /// Writes the board's facilitation. Durable with the next flush.
    pub fn put_facilitation(
        &self,
        board: &str,
        state: &StoredFacilitation,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_vec(state).unwrap_or_default();
        self.fac().state.insert(board, json)?;
        self.mark_written();
        Ok(())
    }

    /// Every private note of the board, with its author's person id.
    pub fn private_notes(&self, board: &str) -> Result<Vec<(String, PrivateNote)>, StoreError> {
        let start = prefix(&[board]).len();
        let mut out = Vec::new();
        for entry in self.fac().private.scan_prefix(prefix(&[board])) {
            let (k, v) = entry?;
            let rest = String::from_utf8_lossy(&k[start..]).into_owned();
            let Some((person, _)) = rest.split_once('/') else {
                continue;
            };
            if let Ok(note) = serde_json::from_slice(&v) {
                out.push((person.to_owned(), note));
            }
        }
        Ok(out)
    }

    /// Writes (creates or replaces) a person's private note. Durable with the next flush.
    pub fn put_private_note(
        &self,
        board: &str,
        person: &str,
        note: &PrivateNote,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_vec(note).unwrap_or_default();
        self.fac()
            .private
            .insert(key(&[board, person, &note.id]), json)?;
        self.mark_written();
        Ok(())
    }

    /// Removes private notes (deleted by their author, or published).
    pub fn delete_private_notes<'a>(
        &self,
        board: &str,
        notes: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<(), StoreError> {
        let mut batch = super::kv::Batch::default();
        for (person, id) in notes {
            batch.remove(key(&[board, person, id]));
        }
        self.fac().private.apply_batch(batch)?;
        self.mark_written();
        Ok(())
    }

    pub(super) fn delete_facilitation(&self, board: &str) -> Result<(), StoreError> {
        self.fac().state.remove(board)?;
        let mut batch = super::kv::Batch::default();
        for entry in self.fac().private.scan_prefix(prefix(&[board])) {
            batch.remove(entry?.0);
        }
        self.fac().private.apply_batch(batch)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(id: &str) -> PrivateNote {
        PrivateNote {
            id: id.into(),
            pos: [1.0, 2.0],
            size: [160.0, 120.0],
            color: "yellow".into(),
            text: format!("note {id}"),
            session: "s1".into(),
        }
    }

    #[test]
    fn private_notes_are_kept_per_board_and_person() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Default::default()).unwrap();
        store.put_private_note("b1", "ann", &note("n1")).unwrap();
        store.put_private_note("b1", "bob", &note("n2")).unwrap();
        store.put_private_note("b10", "ann", &note("n3")).unwrap();
        let mut got = store.private_notes("b1").unwrap();
        got.sort_by(|a, b| a.1.id.cmp(&b.1.id));
        let ids: Vec<_> = got
            .iter()
            .map(|(p, n)| (p.as_str(), n.id.as_str()))
            .collect();
        assert_eq!(ids, [("ann", "n1"), ("bob", "n2")]);
        store.delete_private_notes("b1", [("ann", "n1")]).unwrap();
        assert_eq!(store.private_notes("b1").unwrap().len(), 1);
        store.delete_facilitation("b1").unwrap();
        assert!(store.private_notes("b1").unwrap().is_empty());
        assert_eq!(store.private_notes("b10").unwrap().len(), 1);
    }

    #[test]
    fn facilitation_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Default::default()).unwrap();
        assert_eq!(
            store.facilitation("b").unwrap(),
            StoredFacilitation::default()
        );
        let mut state = StoredFacilitation::default();
        state.public.balance_public = true;
        state.locks.insert(
            "i1".into(),
            Lock {
                by: "Ann".into(),
                at: 5,
                placement: false,
            },
        );
        store.put_facilitation("b", &state).unwrap();
        assert_eq!(store.facilitation("b").unwrap(), state);
    }
}
