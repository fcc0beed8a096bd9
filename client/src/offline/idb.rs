//! IndexedDB in Rust futures, and the layout of Huddle's database.
//!
//! IndexedDB reports through `onsuccess` / `onerror` callbacks. [`Pending`] turns one request
//! into a `Future`: the callbacks store the outcome and wake the task, and they live inside
//! the future, so they are dropped after the outcome arrived, never while running and never
//! leaked. No crate for this: the few dozen lines below are all the client needs, and IDB
//! wrapper crates bring their own error and value types. Writes are not awaited at all (see
//! the parent module): only opening and loading wait for answers.
//!
//! # The database
//!
//! One database, [`DB_NAME`], two object stores, both with out-of-line array keys that start
//! with the board id, so one key range ([`board_range`]) selects a board's rows:
//! - [`UPDATES`]: `[board, session, seq]` -> `Uint8Array` (a yrs update v1). Each page load is
//!   a session with a random id; `seq` counts its updates, so a session's rows load in order
//!   and two tabs on one board never overwrite each other's rows.
//! - [`STATES`]: `[board, session]` -> `Uint8Array` (a compacted state, update v1).

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use js_sys::Array;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{
    Event, IdbDatabase, IdbKeyRange, IdbOpenDbRequest, IdbRequest, IdbTransaction,
    IdbTransactionMode,
};

/// The one database of the app.
pub const DB_NAME: &str = "huddle";
/// Schema version: bump it (and extend [`upgrade`]) when the stores change.
const DB_VERSION: u32 = 1;
/// How long opening the database may take before the board goes on without it: it takes
/// milliseconds, or seconds on a busy machine; never answering is a browser bug.
const OPEN_TIMEOUT_MS: i32 = 5_000;
/// Appended updates, `[board, session, seq]` -> bytes.
pub const UPDATES: &str = "updates";
/// Compacted states, `[board, session]` -> bytes.
pub const STATES: &str = "states";

/// A callback IndexedDB (or a timer) calls.
type Callback = Closure<dyn FnMut(Event)>;

/// What a callback reported: the request's result, or its error.
type Outcome = Option<Result<JsValue, JsValue>>;

#[derive(Default)]
struct Slot {
    outcome: Outcome,
    waker: Option<Waker>,
}

/// A request still running, as a future of its result.
pub struct Pending {
    slot: Rc<RefCell<Slot>>,
    request: IdbRequest,
    _callbacks: Vec<Callback>,
    /// The timer of [`request_within`] and its callback.
    timeout: Option<(i32, Callback)>,
}

impl Drop for Pending {
    fn drop(&mut self) {
        // The callbacks are freed with this: the request and the timer must not call them.
        self.request.set_onsuccess(None);
        self.request.set_onerror(None);
        if let (Some((id, _)), Ok(window)) = (&self.timeout, crate::dom::window()) {
            window.clear_timeout_with_handle(*id);
        }
    }
}

impl Future for Pending {
    type Output = Result<JsValue, JsValue>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = self.slot.borrow_mut();
        match slot.outcome.take() {
            Some(outcome) => Poll::Ready(outcome),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// A callback that settles `slot` with what `f` makes of the event.
fn settle(
    slot: &Rc<RefCell<Slot>>,
    f: impl Fn() -> Result<JsValue, JsValue> + 'static,
) -> Callback {
    let slot = slot.clone();
    Closure::new(move |_: Event| {
        let mut s = slot.borrow_mut();
        if s.outcome.is_none() {
            s.outcome = Some(f());
        }
        if let Some(waker) = s.waker.take() {
            waker.wake();
        }
    })
}

/// The result of `request` (its `error` if it fails).
pub fn request(request: &IdbRequest) -> Pending {
    let slot = Rc::new(RefCell::new(Slot::default()));
    let ok = {
        let r = request.clone();
        settle(&slot, move || r.result())
    };
    let err = {
        let r = request.clone();
        settle(&slot, move || {
            Err(r.error().ok().flatten().map_or(JsValue::NULL, Into::into))
        })
    };
    request.set_onsuccess(Some(ok.as_ref().unchecked_ref()));
    request.set_onerror(Some(err.as_ref().unchecked_ref()));
    Pending {
        slot,
        request: request.clone(),
        _callbacks: vec![ok, err],
        timeout: None,
    }
}

/// Like [`request`], but an error if no answer came within `ms`: some browsers have left
/// `indexedDB.open` unanswered forever, and the board must not wait for it.
pub fn request_within(req: &IdbRequest, ms: i32) -> Pending {
    let mut pending = request(req);
    let expire = settle(&pending.slot, move || {
        Err(JsValue::from_str(&format!(
            "IndexedDB did not answer within {ms} ms"
        )))
    });
    let timer = crate::dom::window().and_then(|w| {
        w.set_timeout_with_callback_and_timeout_and_arguments_0(expire.as_ref().unchecked_ref(), ms)
    });
    match timer {
        Ok(id) => pending.timeout = Some((id, expire)),
        Err(err) => crate::dom::log_error("could not time an IndexedDB request", &err),
    }
    pending
}

/// Opens (creating or upgrading) Huddle's database. `Ok(None)` if this browser context has
/// no IndexedDB (some private modes, sandboxed frames).
pub async fn open_database() -> Result<Option<IdbDatabase>, JsValue> {
    let Some(factory) = crate::dom::window()?.indexed_db()? else {
        return Ok(None);
    };
    let open: IdbOpenDbRequest = factory.open_with_u32(DB_NAME, DB_VERSION)?;
    let on_upgrade = {
        let open = open.clone();
        Closure::<dyn FnMut(Event)>::new(move |_: Event| {
            if let Err(err) = upgrade(&open) {
                crate::dom::log_error("could not create the IndexedDB stores", &err);
            }
        })
    };
    open.set_onupgradeneeded(Some(on_upgrade.as_ref().unchecked_ref()));
    let opened = request_within(&open, OPEN_TIMEOUT_MS).await;
    // `on_upgrade` is freed on return, whatever happened.
    open.set_onupgradeneeded(None);
    let db: IdbDatabase = opened?.dyn_into()?;
    // A newer version of the app (in another tab) wants to upgrade the database: let it, or it
    // would wait until this tab closes. This tab then works online only.
    let on_version_change = {
        let db = db.clone();
        Closure::once_into_js(move |_: Event| db.close())
    };
    db.set_onversionchange(Some(on_version_change.unchecked_ref()));
    Ok(Some(db))
}

/// Creates the stores that a database of an older version (or a new one) lacks.
fn upgrade(open: &IdbOpenDbRequest) -> Result<(), JsValue> {
    let db: IdbDatabase = open.result()?.dyn_into()?;
    let names = db.object_store_names();
    for store in [UPDATES, STATES] {
        if !names.contains(store) {
            db.create_object_store(store)?;
        }
    }
    Ok(())
}

/// A transaction over both stores.
pub fn transaction(db: &IdbDatabase, mode: IdbTransactionMode) -> Result<IdbTransaction, JsValue> {
    let stores = Array::of2(&UPDATES.into(), &STATES.into());
    db.transaction_with_str_sequence_and_mode(&stores, mode)
}

/// Every key of `board` in either store: from `[board]` up to `[board, []]` (in IndexedDB's
/// key order, arrays sort after strings and numbers, so `[board, <anything but an array>]`
/// lies in between).
pub fn board_range(board: &str) -> Result<IdbKeyRange, JsValue> {
    let lower = Array::of1(&board.into());
    let upper = Array::of2(&board.into(), &Array::new());
    IdbKeyRange::bound(&lower, &upper)
}

/// The rows `from..to` of one session of `board` in [`UPDATES`].
pub fn session_rows(
    board: &str,
    session: &str,
    from: u32,
    to: u32,
) -> Result<IdbKeyRange, JsValue> {
    IdbKeyRange::bound_with_lower_open_and_upper_open(
        &update_key(board, session, from),
        &update_key(board, session, to),
        false,
        true,
    )
}

pub fn update_key(board: &str, session: &str, seq: u32) -> JsValue {
    Array::of3(&board.into(), &session.into(), &seq.into()).into()
}

pub fn state_key(board: &str, session: &str) -> JsValue {
    Array::of2(&board.into(), &session.into()).into()
}
