//! The server refused a change to a locked item (close code 4009): the page's copy holds a
//! change the server will never take, and every resync would send it again. So the page
//! says so, drops the board's copy in this browser (IndexedDB) and reloads, and the board
//! comes back as the server has it.
//!
//! This happens only in a race (the lock arrived while the change was on its way, or the
//! change was made offline before the lock and sent on reconnecting): the page's own checks
//! stop the ordinary gestures. Edits made offline that the server had not received yet are
//! in the dropped copy too and are lost with it.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use super::super::role;
use super::Handle;
use crate::dom::{self, log_error};

/// What the person reads before the page reloads.
const MESSAGE: &str = "Your change to a locked item was not saved; reloading the board from the \
                       server";
/// How long the message stays before the reload: long enough to read it.
const RELOAD_AFTER_MS: i32 = 2_000;

/// The connection closed with code 4009: say it, drop the offline copy, reload (once).
pub fn on_refused(page: &Handle) {
    let Some(page) = page.upgrade() else {
        return;
    };
    let store = {
        let Ok(mut s) = page.try_borrow_mut() else {
            // Inside one of the page's own handlers: try again right after it.
            let page = std::rc::Rc::downgrade(&page);
            wasm_bindgen_futures::spawn_local(async move { on_refused(&page) });
            return;
        };
        if s.locks.reloading {
            return;
        }
        s.locks.reloading = true;
        role::notice(&s, MESSAGE);
        s.store.clone()
    };
    wasm_bindgen_futures::spawn_local(async move {
        if let Some(store) = store
            && let Err(err) = store.discard().await
        {
            log_error("could not drop the board's offline copy", &err);
        }
        let reload = Closure::once_into_js(role::reload);
        let scheduled = dom::window().and_then(|w| {
            w.set_timeout_with_callback_and_timeout_and_arguments_0(
                reload.unchecked_ref(),
                RELOAD_AFTER_MS,
            )
        });
        if scheduled.is_err() {
            role::reload();
        }
    });
}
