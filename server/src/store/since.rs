//! "Since you last looked" beside the boards ([`huddle_shared::since`]), in two trees:
//!
//! - `since_log`: `{board}/{seq: 8 bytes big-endian}` -> [`JournalEntry`] (in [`compact`]
//!   form; JSON from before it is still read): the board's change journal, written by its
//!   room as it applies updates (an entry is rewritten in place when the same person changes
//!   the same item the same way again, see `room::since`); at most [`MAX_JOURNAL`] entries
//!   are kept;
//! - `since_seen`: `{board}/{person}` -> [`SeenMark`] (JSON): what each person has seen.
//!   A dozen bytes per person and board, whatever the board's size: what was there when
//!   they looked is not needed, because the journal says what a deleted item was called.
//!
//! Durable with the next group commit, like everything the rooms write.

use std::sync::atomic::{AtomicU64, Ordering::SeqCst};

use huddle_shared::since::{JournalEntry, MAX_JOURNAL, SeenMark};

use super::{Store, StoreError, log_key, log_prefix, seq_of_log_key};

/// The journal is trimmed when its newest sequence number crosses a multiple of this, so
/// trimming costs one range scan per this many entries, not one per append.
const TRIM_EVERY: u64 = 1024;

pub(super) struct SinceTrees {
    log: super::kv::Tree,
    seen: super::kv::Tree,
    /// Incremented on every write of a seen mark: a room that coalesces repeated changes
    /// stops coalescing across it (a change after someone looked must be a new entry).
    epoch: AtomicU64,
}

impl Store {
    pub(super) fn since_trees(db: &super::kv::Db) -> Result<SinceTrees, StoreError> {
        Ok(SinceTrees {
            log: db.open_board_tree("since_log")?,
            seen: db.open_board_tree("since_seen")?,
            epoch: AtomicU64::new(0),
        })
    }

    fn since_tree(&self) -> &SinceTrees {
        &self.inner.since
    }

    /// The sequence number the board's next journal entry gets.
    pub fn journal_tail(&self, board: &str) -> Result<u64, StoreError> {
        let last = self
            .since_tree()
            .log
            .scan_prefix(log_prefix(board))
            .next_back()
            .transpose()?;
        Ok(last
            .and_then(|(k, _)| seq_of_log_key(&k))
            .map_or(0, |seq| seq + 1))
    }

    /// Writes journal entries (new ones, or ones rewritten under their old number).
    pub fn journal(&self, board: &str, entries: &[(u64, JournalEntry)]) -> Result<(), StoreError> {
        self.journal_keeping(board, entries, MAX_JOURNAL)
    }

    /// [`Store::journal`], keeping at most `keep` entries.
    ///
    /// Plain inserts and removes, never a `sled::Batch`: this runs on every edit, and sled
    /// 0.34's `apply_batch` takes its global write lock and pins the log, so it waits for
    /// the group commit's flush in progress. With a batch here, W3 (200 boards x 5 people,
    /// a move a second each) ran at 0.45 cores and a p99 of 641 ms; with inserts, 0.19 to
    /// 0.24 cores and 1.3 to 2.2 ms over three runs (no journal at all: 0.20 cores, 1.3 ms;
    /// BENCHMARKS.md, "Issue 16: W3's regression, found"). The entries need no atomicity: each
    /// stands alone, and a trim cut short leaves older entries for the next one.
    fn journal_keeping(
        &self,
        board: &str,
        entries: &[(u64, JournalEntry)],
        keep: u64,
    ) -> Result<(), StoreError> {
        let tree = &self.since_tree().log;
        let mut trim = false;
        for (seq, entry) in entries {
            tree.insert_behind(log_key(board, *seq), compact::encode(entry))?;
            trim |= seq % TRIM_EVERY == 0 && *seq >= keep;
        }
        if let (true, Some((last, _))) = (trim, entries.iter().max_by_key(|(s, _)| *s)) {
            let keep_from = log_key(board, last.saturating_sub(keep) + 1);
            for entry in tree.range(log_prefix(board)..keep_from) {
                tree.remove_behind(entry?.0)?;
            }
        }
        self.mark_written();
        Ok(())
    }

    /// The journal from `from` on, oldest first, and whether entries before it (after
    /// `from`) were dropped already.
    pub fn journal_since(
        &self,
        board: &str,
        from: u64,
    ) -> Result<(Vec<JournalEntry>, bool), StoreError> {
        let tree = &self.since_tree().log;
        let end = {
            let mut k = log_prefix(board);
            k.extend_from_slice(&[0xff; 9]);
            k
        };
        let mut out = Vec::new();
        let mut first = None;
        for entry in tree.range(log_key(board, from)..end) {
            let (k, v) = entry?;
            first.get_or_insert(seq_of_log_key(&k));
            match compact::decode(&v) {
                Some(e) => out.push(e),
                None => tracing::warn!(board, "skipping an unreadable journal entry"),
            }
        }
        let oldest = tree
            .scan_prefix(log_prefix(board))
            .next()
            .transpose()?
            .and_then(|(k, _)| seq_of_log_key(&k));
        let truncated = oldest.is_some_and(|oldest| oldest > from);
        Ok((out, truncated))
    }

    /// The board's journal as stored: how many entries, and their bytes (keys and values).
    pub fn journal_size(&self, board: &str) -> Result<(u64, u64), StoreError> {
        let mut size = (0, 0);
        for entry in self.since_tree().log.scan_prefix(log_prefix(board)) {
            let (k, v) = entry?;
            size = (size.0 + 1, size.1 + (k.len() + v.len()) as u64);
        }
        Ok(size)
    }

    /// What `person` has seen of `board`, if they ever had it open.
    pub fn seen(&self, board: &str, person: &str) -> Result<Option<SeenMark>, StoreError> {
        let value = self.since_tree().seen.get(seen_key(board, person))?;
        Ok(value.and_then(|v| serde_json::from_slice(&v).ok()))
    }

    /// Records that `person` has seen `board` up to `mark` (never backwards: a second
    /// device that saw less does not bring back what the first marked seen). Returns the
    /// mark now stored.
    pub fn mark_seen(
        &self,
        board: &str,
        person: &str,
        mark: SeenMark,
    ) -> Result<SeenMark, StoreError> {
        let mark = match self.seen(board, person)? {
            Some(old) if old.seq > mark.seq => SeenMark {
                seq: old.seq,
                at: mark.at.max(old.at),
            },
            _ => mark,
        };
        let json = serde_json::to_vec(&mark).unwrap_or_default();
        self.since_tree()
            .seen
            .insert(seen_key(board, person), json)?;
        self.since_tree().epoch.fetch_add(1, SeqCst);
        self.mark_written();
        Ok(mark)
    }

    /// Changes whenever someone's seen mark is written (see [`SinceTrees::epoch`]).
    pub fn seen_epoch(&self) -> u64 {
        self.since_tree().epoch.load(SeqCst)
    }

    pub(super) fn delete_since(&self, board: &str) -> Result<(), StoreError> {
        let trees = self.since_tree();
        for tree in [&trees.log, &trees.seen] {
            let mut batch = super::kv::Batch::default();
            for entry in tree.scan_prefix(log_prefix(board)) {
                batch.remove(entry?.0);
            }
            tree.apply_batch(batch)?;
        }
        Ok(())
    }
}

/// A journal entry's stored form: a tag byte, then `at` and the kind (whose top bit says
/// whether a position follows), the four strings and the position as two `f32`s, if any;
/// integers and string lengths as lib0 varints ([`huddle_shared::wire::lib0`], read as
/// guardedly as the wire). Under 60% of the bytes of its JSON (a W8 entry: 202 bytes as
/// JSON, 119 so): no field names, quotes or digits of `f64` positions, whose `f32` is to a
/// hundredth of a board unit up to 100,000 units from the origin, closer than centring an
/// item needs.
mod compact {
    use huddle_shared::since::{ChangeKind, JournalEntry};
    use huddle_shared::wire::lib0::{Reader, write_var_buf, write_var_u64};

    /// First byte of the compact form (a JSON entry, from before it, starts with `{`).
    const TAG: u8 = 1;
    /// Set in the kind's byte when a position follows the strings.
    const HAS_POS: u8 = 0x80;

    const KINDS: [ChangeKind; 8] = [
        ChangeKind::Created,
        ChangeKind::Edited,
        ChangeKind::Moved,
        ChangeKind::Deleted,
        ChangeKind::RoundOpened,
        ChangeKind::RoundRevealed,
        ChangeKind::Decision,
        ChangeKind::Comment,
    ];

    pub(super) fn encode(e: &JournalEntry) -> Vec<u8> {
        let strings = [&e.person, &e.name, &e.item, &e.title];
        let mut out = Vec::with_capacity(24 + strings.iter().map(|s| s.len() + 2).sum::<usize>());
        out.push(TAG);
        write_var_u64(&mut out, e.at);
        let kind = KINDS.iter().position(|k| *k == e.kind).unwrap_or_default() as u8;
        out.push(kind | if e.pos.is_some() { HAS_POS } else { 0 });
        for s in strings {
            write_var_buf(&mut out, s.as_bytes());
        }
        if let Some([x, y]) = e.pos {
            out.extend_from_slice(&(x as f32).to_le_bytes());
            out.extend_from_slice(&(y as f32).to_le_bytes());
        }
        out
    }

    /// The entry in `bytes` (compact or JSON), or `None` if they are not one.
    pub(super) fn decode(bytes: &[u8]) -> Option<JournalEntry> {
        match bytes.first()? {
            b'{' => return serde_json::from_slice(bytes).ok(),
            &TAG => {}
            _ => return None,
        }
        let mut r = Reader::new(&bytes[1..]);
        let at = r.read_var_u64().ok()?;
        let kind = r.read_u8().ok()?;
        let has_pos = kind & HAS_POS != 0;
        let kind = *KINDS.get(usize::from(kind & !HAS_POS))?;
        let mut string = || r.read_var_string().ok().map(str::to_owned);
        let (person, name, item, title) = (string()?, string()?, string()?, string()?);
        let mut coord = || -> Option<f64> {
            let b = [
                r.read_u8().ok()?,
                r.read_u8().ok()?,
                r.read_u8().ok()?,
                r.read_u8().ok()?,
            ];
            Some(f32::from_le_bytes(b).into())
        };
        let pos = if has_pos {
            Some([coord()?, coord()?])
        } else {
            None
        };
        r.is_empty().then_some(JournalEntry {
            at,
            person,
            name,
            item,
            kind,
            title,
            pos,
        })
    }
}

fn seen_key(board: &str, person: &str) -> Vec<u8> {
    let mut k = log_prefix(board);
    k.extend_from_slice(person.as_bytes());
    k
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use huddle_shared::since::ChangeKind;

    use super::*;

    fn entry(item: &str) -> JournalEntry {
        JournalEntry {
            at: 1,
            person: "p".into(),
            name: "P".into(),
            item: item.into(),
            kind: ChangeKind::Edited,
            title: String::new(),
            pos: None,
        }
    }

    #[test]
    fn the_journal_reads_back_from_a_position_and_seen_marks_never_go_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Arc::default()).unwrap();
        assert_eq!(store.journal_tail("b").unwrap(), 0);
        let entries: Vec<_> = (0..5).map(|i| (i, entry(&format!("n{i}")))).collect();
        store.journal("b", &entries).unwrap();
        store.journal("b2", &[(0, entry("x"))]).unwrap();
        assert_eq!(store.journal_tail("b").unwrap(), 5);
        let (since, truncated) = store.journal_since("b", 3).unwrap();
        assert_eq!(since, vec![entry("n3"), entry("n4")]);
        assert!(!truncated);

        assert_eq!(store.seen("b", "p").unwrap(), None);
        let epoch = store.seen_epoch();
        store
            .mark_seen("b", "p", SeenMark { seq: 4, at: 10 })
            .unwrap();
        assert!(store.seen_epoch() > epoch);
        let kept = store
            .mark_seen("b", "p", SeenMark { seq: 2, at: 20 })
            .unwrap();
        assert_eq!(kept, SeenMark { seq: 4, at: 20 });
        assert_eq!(store.seen("b", "p").unwrap(), Some(kept));

        store.delete_since("b").unwrap();
        assert_eq!(store.journal_tail("b").unwrap(), 0);
        assert_eq!(store.seen("b", "p").unwrap(), None);
        assert_eq!(store.journal_tail("b2").unwrap(), 1);
    }

    #[test]
    fn entries_are_stored_compactly_and_entries_from_before_still_read() {
        let full = JournalEntry {
            at: 1_796_502_724_447,
            person: "ogm09M87o_gHqiFdbaw7bg".into(),
            name: "Grüße 8880".into(),
            item: "p2c7hJdGmCZQNBqC".into(),
            kind: ChangeKind::Moved,
            title: "Story 949: as a user I want to refine the backlog".into(),
            pos: Some([14158.25, -5759.5]),
        };
        let json = serde_json::to_vec(&full).unwrap();
        let bytes = compact::encode(&full);
        assert!(
            bytes.len() * 10 < json.len() * 6,
            "{} vs {}",
            bytes.len(),
            json.len()
        );
        assert_eq!(compact::decode(&bytes), Some(full.clone()));
        assert_eq!(compact::decode(&json), Some(full.clone()));
        for kind in [
            ChangeKind::Comment,
            ChangeKind::Created,
            ChangeKind::Decision,
        ] {
            let e = JournalEntry {
                kind,
                pos: None,
                ..entry("n")
            };
            assert_eq!(compact::decode(&compact::encode(&e)), Some(e));
        }
        // Cut short or padded anywhere: refused, never a wrong entry or a panic.
        for cut in 0..bytes.len() {
            assert_eq!(compact::decode(&bytes[..cut]), None, "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(compact::decode(&longer), None);
        assert_eq!(compact::decode(&[7, 0]), None);

        // A journal written before, as JSON, reads back beside new entries.
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Arc::default()).unwrap();
        store
            .since_tree()
            .log
            .insert(log_key("b", 0), serde_json::to_vec(&entry("old")).unwrap())
            .unwrap();
        store.journal("b", &[(1, entry("new"))]).unwrap();
        let (all, _) = store.journal_since("b", 0).unwrap();
        assert_eq!(all, vec![entry("old"), entry("new")]);
    }

    #[test]
    fn the_journal_keeps_its_newest_entries_and_says_when_older_ones_are_gone() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Arc::default()).unwrap();
        let keep = 1500;
        let last = 2 * TRIM_EVERY;
        let entries: Vec<_> = (0..=last).map(|i| (i, entry("n"))).collect();
        store.journal_keeping("b", &entries, keep).unwrap();
        let (all, truncated) = store.journal_since("b", 0).unwrap();
        assert_eq!(all.len() as u64, keep);
        assert!(truncated);
        let (_, truncated) = store.journal_since("b", last - 10).unwrap();
        assert!(!truncated);
    }
}
