//! The board kept in the browser (IndexedDB), so that it opens without a network and edits
//! made offline survive a reload.
//!
//! [`open`] loads what this browser stored for the board (compacted states and appended
//! updates, see [`idb`] for the layout), applies it with origin [`RESTORE_ORIGIN`], then
//! observes the document: every later update, whatever its origin (local, remote, undo), is
//! queued and appended as a row. The observer only queues bytes (like `net`'s, it holds no
//! JavaScript object); [`LocalStore::persist`] writes the queue out. `net` calls it after
//! every frame it handles and every local flush, and a timer calls it every second for
//! anything else. After [`COMPACT_EVERY`] rows, and whenever the page is hidden or left
//! (`visibilitychange`, `pagehide`), the store compacts: one transaction writes the whole
//! document as one update and deletes the rows it covers.
//!
//! Why nothing is lost on a quick reload: each write is its own readwrite transaction,
//! created in the order of the updates, and IndexedDB runs transactions over the same store
//! in creation order. Each is `commit()`ted right after its requests are queued, so the
//! browser commits it without waiting for the page's event loop, and a transaction that has
//! been committed completes even if the page goes away right after. Rows are deleted only in
//! the same transaction that writes a state covering them.
//!
//! Several tabs on one board each write their own rows and state (a random session id in
//! the key). A page that opens adopts what it found: its first compaction writes it all into
//! its own state and deletes the rows and states it loaded. (A tab that compacts between that
//! page's load and its first compaction can lose that compaction's row from IndexedDB; it
//! still holds it in memory and writes it again at its next compaction.)
//!
//! No IndexedDB (some private modes): [`open`] logs it once and returns a store that keeps
//! nothing, and the board works online only.

mod idb;
mod recent;

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use std::sync::{Arc, Mutex, MutexGuard};

use huddle_shared::model::{Board, RESTORE_ORIGIN};
use huddle_shared::wire;
use huddle_shared::yrs::{ReadTxn, StateVector, Transact};
use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Event, IdbDatabase, IdbTransaction, IdbTransactionMode};

use crate::dom::{self, Listener, js_error, log_error};

pub use recent::{recent_boards, remember_board, retitle};

/// Key of our update observer on the document.
const OBSERVER_KEY: &str = "huddle-offline";
/// Rows appended before the store compacts: loading a few hundred small rows is quick, and
/// compacting costs a whole-document encoding, so not after every keystroke.
const COMPACT_EVERY: u32 = 300;
/// How often the timer writes out updates no one else persisted (edits that did not go
/// through `net`, such as the title set by the server's first sync being applied later).
const PERSIST_EVERY_MS: i32 = 1_000;

thread_local! {
    /// Whether "no IndexedDB" was logged already.
    static WARNED: Cell<bool> = const { Cell::new(false) };
}

/// A board's local copy (cheap to clone). Dropping the last clone stops storing updates.
#[derive(Clone)]
pub struct LocalStore {
    /// Whether anything was restored from the browser (then the first sync asks for a save).
    pub restored: bool,
    inner: Option<Rc<Inner>>,
}

struct Inner {
    db: IdbDatabase,
    board: Board,
    board_id: String,
    /// This page load's id in the keys of its rows and state.
    session: String,
    /// Updates of the document not written yet (filled by the observer).
    queue: Arc<Mutex<Vec<Vec<u8>>>>,
    rows: RefCell<Rows>,
    /// Logs a write transaction that failed (shared by all of them).
    on_abort: Closure<dyn FnMut(Event)>,
    /// Writes the queue out every [`PERSIST_EVERY_MS`].
    timer: Closure<dyn FnMut()>,
    timer_id: Cell<Option<i32>>,
    listeners: RefCell<Vec<Listener>>,
    /// The copy was dropped ([`LocalStore::discard`]): nothing is written any more.
    discarded: Cell<bool>,
}

/// Which rows this session wrote and which it adopted from others.
#[derive(Default)]
struct Rows {
    /// The `seq` of the next row.
    next: u32,
    /// Rows below this are covered by our compacted state (deleted).
    compacted: u32,
    /// Keys loaded at [`open`] from other sessions, deleted at the first compaction.
    adopted_updates: Vec<JsValue>,
    adopted_states: Vec<JsValue>,
}

impl LocalStore {
    /// A store that keeps nothing: the board works online only.
    pub fn online_only() -> LocalStore {
        LocalStore {
            restored: false,
            inner: None,
        }
    }

    /// Writes the document's updates made since the last call to IndexedDB (in order).
    pub fn persist(&self) {
        if let Some(inner) = &self.inner {
            inner.persist();
        }
    }

    /// Drops the board's copy in this browser (every session's rows and states) and stops
    /// writing it, for a page whose copy holds a change the server will never take (a
    /// change to a locked item): it reloads and starts afresh from the server. Resolves when
    /// the deletion is done.
    pub async fn discard(&self) -> Result<(), JsValue> {
        let Some(inner) = &self.inner else {
            return Ok(());
        };
        inner.discarded.set(true);
        lock(&inner.queue).clear();
        let txn = idb::transaction(&inner.db, IdbTransactionMode::Readwrite)?;
        let range = idb::board_range(&inner.board_id)?;
        txn.object_store(idb::STATES)?.delete(&range)?;
        let done = idb::request(&txn.object_store(idb::UPDATES)?.delete(&range)?);
        // See `Inner::write`: committed now, so it completes even if the page goes.
        #[allow(deprecated)]
        let _ = txn.commit();
        done.await.map(|_| ())
    }
}

/// Restores `board_id`'s stored updates into `board` and keeps storing every later update.
/// Applying a big board's copy is a long task of the page's one thread, so it waits for
/// `before_restore` (the board's first view drawn), when there is a copy to apply.
pub async fn open(
    board: &Board,
    board_id: &str,
    before_restore: impl std::future::Future<Output = ()>,
) -> Result<LocalStore, JsValue> {
    let db = match idb::open_database().await {
        Ok(Some(db)) => db,
        Ok(None) => {
            warn_once(&JsValue::from_str("this browser context has no IndexedDB"));
            return Ok(LocalStore::online_only());
        }
        Err(err) => {
            warn_once(&err);
            return Ok(LocalStore::online_only());
        }
    };
    let stored = match load(&db, board_id).await {
        Ok(stored) => stored,
        Err(err) => {
            log_error("could not read the board from IndexedDB", &err);
            Stored::default()
        }
    };
    if !(stored.states.is_empty() && stored.updates.is_empty()) {
        before_restore.await;
    }
    let restored = restore(board, &stored);
    if let Some(title) = board.title(&board.doc().transact()) {
        recent::retitle(board_id, &title);
    }

    let queue: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let observed = queue.clone();
    board
        .doc()
        .observe_update_v1(OBSERVER_KEY, move |_, event| {
            lock(&observed).push(event.update.clone());
        })
        .map_err(js_error)?;

    let inner = Rc::new_cyclic(|weak: &Weak<Inner>| {
        let weak = weak.clone();
        Inner {
            db,
            board: board.clone(),
            board_id: board_id.to_owned(),
            session: session_id(),
            queue,
            rows: RefCell::new(Rows {
                adopted_updates: stored.update_keys,
                adopted_states: stored.state_keys,
                ..Rows::default()
            }),
            on_abort: Closure::new(|event: Event| {
                let error = event
                    .target()
                    .and_then(|t| t.dyn_into::<IdbTransaction>().ok())
                    .and_then(|t| t.error())
                    .map_or(JsValue::NULL, Into::into);
                log_error("an IndexedDB write failed", &error);
            }),
            timer: Closure::new(move || {
                if let Some(inner) = weak.upgrade() {
                    inner.persist();
                }
            }),
            timer_id: Cell::new(None),
            listeners: RefCell::default(),
            discarded: Cell::new(false),
        }
    });
    if let Err(err) = inner.watch_page() {
        log_error("could not watch the page for compaction", &err);
    }
    if restored {
        // Fold what was found (possibly several sessions' rows) into our own state now.
        inner.compact();
    }
    Ok(LocalStore {
        restored,
        inner: Some(inner),
    })
}

/// What IndexedDB held for a board.
#[derive(Default)]
struct Stored {
    states: Vec<Vec<u8>>,
    state_keys: Vec<JsValue>,
    updates: Vec<Vec<u8>>,
    update_keys: Vec<JsValue>,
}

async fn load(db: &IdbDatabase, board_id: &str) -> Result<Stored, JsValue> {
    let txn = idb::transaction(db, IdbTransactionMode::Readonly)?;
    let range = idb::board_range(board_id)?;
    let states = txn.object_store(idb::STATES)?;
    let updates = txn.object_store(idb::UPDATES)?;
    // All four requests are queued before the first await, so the transaction stays alive.
    let state_values = idb::request(&states.get_all_with_key(&range)?);
    let state_keys = idb::request(&states.get_all_keys_with_key(&range)?);
    let update_values = idb::request(&updates.get_all_with_key(&range)?);
    let update_keys = idb::request(&updates.get_all_keys_with_key(&range)?);
    Ok(Stored {
        states: bytes_list(state_values.await?),
        state_keys: Array::from(&state_keys.await?).to_vec(),
        updates: bytes_list(update_values.await?),
        update_keys: Array::from(&update_keys.await?).to_vec(),
    })
}

fn bytes_list(values: JsValue) -> Vec<Vec<u8>> {
    Array::from(&values)
        .iter()
        .filter_map(|v| v.dyn_into::<Uint8Array>().ok())
        .map(|bytes| bytes.to_vec())
        .collect()
}

/// Applies the stored states, then the updates (in key order: each session's in order), in
/// one transaction. Whether anything was applied.
fn restore(board: &Board, stored: &Stored) -> bool {
    let mut restored = false;
    let mut txn = board.doc().transact_mut_with(RESTORE_ORIGIN);
    for bytes in stored.states.iter().chain(&stored.updates) {
        let update = match wire::decode_update(bytes) {
            Ok(update) => update,
            Err(err) => {
                log_error("skipping an undecodable stored update", &js_error(err));
                continue;
            }
        };
        match txn.apply_update(update) {
            Ok(()) => restored = true,
            Err(err) => log_error("could not apply a stored update", &js_error(err)),
        }
    }
    restored
}

impl Inner {
    /// Appends the queued updates, in one transaction, committed at once.
    fn persist(&self) {
        let updates = std::mem::take(&mut *lock(&self.queue));
        if updates.is_empty() || self.discarded.get() {
            return;
        }
        let mut rows = self.rows.borrow_mut();
        let written = self.write(|txn| {
            let store = txn.object_store(idb::UPDATES)?;
            for (seq, update) in (rows.next..).zip(&updates) {
                let key = idb::update_key(&self.board_id, &self.session, seq);
                store.put_with_key(&Uint8Array::from(update.as_slice()), &key)?;
            }
            Ok(())
        });
        if let Err(err) = written {
            return log_error("could not store an update in IndexedDB", &err);
        }
        rows.next += updates.len() as u32;
        let due = rows.next - rows.compacted >= COMPACT_EVERY;
        drop(rows);
        if due {
            self.compact();
        }
    }

    /// One transaction: the document as our state; the rows it covers deleted.
    fn compact(&self) {
        if self.discarded.get() {
            return;
        }
        self.persist();
        {
            // Nothing written since the last compaction and nothing adopted: the state stored
            // is the document already. (A page left fires `visibilitychange` and `pagehide`
            // both; encoding and writing a big board twice held up the next page's start.)
            let rows = self.rows.borrow();
            if rows.next == rows.compacted
                && rows.adopted_updates.is_empty()
                && rows.adopted_states.is_empty()
            {
                return;
            }
        }
        let (state, title) = {
            let txn = self.board.doc().transact();
            let state = txn.encode_state_as_update_v1(&StateVector::default());
            (state, self.board.title(&txn))
        };
        let mut rows = self.rows.borrow_mut();
        let written = self.write(|txn| {
            let states = txn.object_store(idb::STATES)?;
            let updates = txn.object_store(idb::UPDATES)?;
            let key = idb::state_key(&self.board_id, &self.session);
            states.put_with_key(&Uint8Array::from(state.as_slice()), &key)?;
            if rows.next > rows.compacted {
                let own =
                    idb::session_rows(&self.board_id, &self.session, rows.compacted, rows.next)?;
                updates.delete(&own)?;
            }
            for key in &rows.adopted_updates {
                updates.delete(key)?;
            }
            // Other sessions' states (ours has a fresh session id, so it is never among them).
            for key in &rows.adopted_states {
                states.delete(key)?;
            }
            Ok(())
        });
        match written {
            Ok(()) => {
                rows.compacted = rows.next;
                rows.adopted_updates.clear();
                rows.adopted_states.clear();
            }
            Err(err) => log_error("could not compact the board in IndexedDB", &err),
        }
        if let Some(title) = title {
            recent::retitle(&self.board_id, &title);
        }
    }

    /// Runs `f` in a new readwrite transaction and commits it (aborting it if `f` fails).
    fn write(&self, f: impl FnOnce(&IdbTransaction) -> Result<(), JsValue>) -> Result<(), JsValue> {
        let txn = idb::transaction(&self.db, IdbTransactionMode::Readwrite)?;
        txn.set_onabort(Some(self.on_abort.as_ref().unchecked_ref()));
        if let Err(err) = f(&txn) {
            let _ = txn.abort();
            return Err(err);
        }
        // Commit now rather than when the page's event loop comes back to IndexedDB. web-sys
        // marks `commit()` deprecated only because older browsers lack it; they commit on their
        // own once the queued requests are done, so its error is ignored.
        #[allow(deprecated)]
        let _ = txn.commit();
        Ok(())
    }

    /// The persist timer, and compaction when the page is hidden or left.
    fn watch_page(self: &Rc<Self>) -> Result<(), JsValue> {
        let window = dom::window()?;
        let id = window.set_interval_with_callback_and_timeout_and_arguments_0(
            self.timer.as_ref().unchecked_ref(),
            PERSIST_EVERY_MS,
        )?;
        self.timer_id.set(Some(id));
        let weak = Rc::downgrade(self);
        let on_hide = Listener::new(&window, "pagehide", move |_| {
            if let Some(inner) = weak.upgrade() {
                inner.compact();
            }
        })?;
        let weak = Rc::downgrade(self);
        let doc = dom::document()?;
        let hidden = doc.clone();
        let on_visibility = Listener::new(&doc, "visibilitychange", move |_| {
            if hidden.hidden()
                && let Some(inner) = weak.upgrade()
            {
                inner.compact();
            }
        })?;
        self.listeners.borrow_mut().extend([on_hide, on_visibility]);
        Ok(())
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Err(err) = self.board.doc().unobserve_update_v1(OBSERVER_KEY) {
            log_error("could not stop observing the board", &js_error(err));
        }
        if let (Some(id), Ok(window)) = (self.timer_id.get(), dom::window()) {
            window.clear_interval_with_handle(id);
        }
    }
}

/// A random id for this page load's rows.
fn session_id() -> String {
    format!(
        "{:x}-{:08x}",
        js_sys::Date::now() as u64,
        (js_sys::Math::random() * f64::from(u32::MAX)) as u32
    )
}

fn warn_once(err: &JsValue) {
    if !WARNED.replace(true) {
        log_error("IndexedDB is unavailable; the board works online only", err);
    }
}

/// Locks the update queue. It only holds plain bytes, so a poisoned lock is still usable.
fn lock(queue: &Mutex<Vec<Vec<u8>>>) -> MutexGuard<'_, Vec<Vec<u8>>> {
    queue
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
