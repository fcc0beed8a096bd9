//! The room's part in version history: it notes who edits and since when, takes an hourly
//! version on its tick while people edit ([`hourly_due`]), one at the end of a session (the
//! room unloads with edits no version holds), named ones on demand, and restores.
//!
//! The room only encodes the board's state (O(board), in its task, as a full sync does);
//! the summary, compression, storing and pruning run on a blocking thread
//! ([`crate::versions::capture`]), which answers the caller when the version is stored.
//!
//! A restore is one server-written change ([`Board::rewind`]) that every connection gets and
//! the log stores, like any edit. Just before it, the room takes a "before restore" version
//! of the board, in the same handler (so nothing can change the board between the two):
//! restoring that version undoes the restore, and the page offers exactly that as "Undo
//! restore" (a server-written change is not in any page's own undo stack).

use std::collections::BTreeMap;

use huddle_shared::model::BoardSnapshot;
use huddle_shared::versions::{Author, VersionHead, VersionKind, hourly_due};
use tokio::sync::oneshot;
use yrs::{ReadTxn, StateVector, Transact};

use super::{ConnId, Room};
use crate::store::{Store, StoreError};
use crate::versions::capture::{self, Capture};

/// What the API asks of a room about versions.
pub enum VersionCommand {
    /// Takes a version now (a named one, or one before an import into the board).
    Save {
        kind: VersionKind,
        name: Option<String>,
        /// Who asked (added to the version's authors).
        by: Option<Author>,
        reply: oneshot::Sender<Result<VersionHead, String>>,
    },
    /// Makes the board what version `version` (read by the API) holds.
    Restore {
        version: u64,
        board: Box<BoardSnapshot>,
        by: Author,
        reply: oneshot::Sender<Result<Restored, String>>,
    },
}

/// What a restore did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Restored {
    /// The version restored.
    pub restored: u64,
    /// The board as it was just before: restoring it undoes the restore.
    pub before_restore: VersionHead,
    /// Items deleted (not in the version) and written back (missing or different).
    pub deleted: usize,
    pub written: usize,
}

/// The room's version state.
#[derive(Debug, Default)]
pub(super) struct RoomVersions {
    /// When the board's last version was taken (version clock, ms).
    last_version_at: Option<u64>,
    /// When the first change that no version holds was made.
    unsaved_since: Option<u64>,
    /// Who made those changes: person id -> name.
    authors: BTreeMap<String, String>,
}

impl RoomVersions {
    /// The board's version state as stored; prunes what retention no longer keeps.
    pub(super) fn load(
        store: &Store,
        config: &crate::versions::VersionConfig,
        board: &str,
    ) -> Result<RoomVersions, StoreError> {
        capture::prune(store, config, board)?;
        Ok(RoomVersions {
            last_version_at: store.latest_version(board)?.map(|h| h.at),
            ..RoomVersions::default()
        })
    }
}

impl Room {
    fn version_now(&self) -> u64 {
        self.ctx.config.versions.clock.now_ms()
    }

    /// A change was stored (`from`: the connection that sent it; `None`: the server's own).
    pub(super) fn version_edited(&mut self, from: Option<ConnId>) {
        let now = self.version_now();
        self.versions.unsaved_since.get_or_insert(now);
        if let Some(conn) = from.and_then(|c| self.conns.get(&c)) {
            let member = &conn.member;
            self.versions
                .authors
                .insert(member.person.to_string(), member.name.clone());
        }
    }

    /// On the tick: the hourly version, if one is due.
    pub(super) fn versions_tick(&mut self) {
        let v = &self.versions;
        let due = hourly_due(
            v.last_version_at,
            v.unsaved_since,
            self.version_now(),
            self.ctx.config.versions.interval_ms,
        );
        if due {
            self.take_version(VersionKind::Hourly, None, None, |_| {});
        }
    }

    /// The room unloads or stops: a version of what no version holds yet.
    pub(super) fn versions_session_end(&mut self) {
        if self.versions.unsaved_since.is_some() {
            self.take_version(VersionKind::SessionEnd, None, None, |_| {});
        }
    }

    pub(super) fn version_command(&mut self, cmd: VersionCommand) {
        match cmd {
            VersionCommand::Save {
                kind,
                name,
                by,
                reply,
            } => self.take_version(kind, name, by, move |r| {
                let _ = reply.send(r.map_err(|e| e.to_string()));
            }),
            VersionCommand::Restore {
                version,
                board,
                by,
                reply,
            } => self.restore(version, &board, by, reply),
        }
    }

    /// Encodes the board and stores it as a version on a blocking thread; `then` gets the
    /// stored head (or the error), on that thread.
    fn take_version(
        &mut self,
        kind: VersionKind,
        name: Option<String>,
        by: Option<Author>,
        then: impl FnOnce(Result<VersionHead, StoreError>) + Send + 'static,
    ) {
        let state = self
            .board
            .doc()
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        let at = self.version_now();
        let mut authors: Vec<Author> = std::mem::take(&mut self.versions.authors)
            .into_iter()
            .map(|(id, name)| Author { id, name })
            .collect();
        if let Some(by) = by
            && !authors.iter().any(|a| a.id == by.id)
        {
            authors.push(by);
        }
        self.versions.unsaved_since = None;
        self.versions.last_version_at = Some(at);
        let capture = Capture {
            kind,
            name,
            authors,
            state,
            at,
        };
        let (store, config, id) = (
            self.ctx.store.clone(),
            self.ctx.config.versions.clone(),
            self.id.clone(),
        );
        self.ctx.tracker.spawn_blocking(move || {
            let taken = capture::take(&store, &config, &id, capture);
            if let Err(e) = &taken {
                tracing::error!(board = %id, "cannot store a version: {e}");
            }
            store.request_flush();
            then(taken);
        });
    }

    fn restore(
        &mut self,
        version: u64,
        target: &BoardSnapshot,
        by: Author,
        reply: oneshot::Sender<Result<Restored, String>>,
    ) {
        // The board as it is, before anything of the restore is written.
        let (deleted, written) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
        let before = self
            .board
            .doc()
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        self.write_server(|board, txn| {
            let current = board.snapshot(txn);
            let done = board.rewind(txn, &current, target);
            deleted.set(done.deleted.len());
            written.set(done.written.len());
            if !done.refused.is_empty() {
                tracing::warn!(items = ?done.refused, "restore: items the model refused were left as they are");
            }
        });
        let at = self.version_now();
        let capture = Capture {
            kind: VersionKind::BeforeRestore,
            name: None,
            // Whoever edited since the last version: their edits are what it holds.
            authors: std::mem::take(&mut self.versions.authors)
                .into_iter()
                .map(|(id, name)| Author { id, name })
                .collect(),
            state: before,
            at,
        };
        // The restore itself is not in any version yet: unsaved from now, by the owner.
        self.versions.authors = BTreeMap::from([(by.id, by.name)]);
        self.versions.unsaved_since = Some(at);
        self.versions.last_version_at = Some(at);
        let (store, config, id) = (
            self.ctx.store.clone(),
            self.ctx.config.versions.clone(),
            self.id.clone(),
        );
        let (deleted, written) = (deleted.get(), written.get());
        self.ctx.tracker.spawn_blocking(move || {
            let taken = capture::take(&store, &config, &id, capture);
            store.request_flush();
            let _ = reply.send(match taken {
                Ok(before_restore) => Ok(Restored {
                    restored: version,
                    before_restore,
                    deleted,
                    written,
                }),
                Err(e) => {
                    tracing::error!(board = %id, "cannot store the version before a restore: {e}");
                    Err(format!(
                        "the board was restored, but the version before it could not be stored: {e}"
                    ))
                }
            });
        });
    }
}
