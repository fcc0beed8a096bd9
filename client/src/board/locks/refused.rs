//! The server refused a change to a locked item (close code 4009): the page's copy holds a
//! change the server will never take, and every resync would send it again. So the page
//! says so, drops the board's copy in this browser (IndexedDB) and reloads at once (each
//! reconnect meanwhile would be refused again), and the board comes back as the server has
//! it. The reloaded page says what happened (a flag in `sessionStorage`, read by [`after`]).
//!
//! This happens only in a race (the lock arrived while the change was on its way, or the
//! change was made offline before the lock and sent on reconnecting): the page's own checks
//! stop the ordinary gestures. Edits made offline that the server had not received yet are
//! in the dropped copy too and are lost with it.

use super::super::{State, role};
use super::Handle;
use crate::dom::{self, log_error};

/// What the person reads before the page reloads.
const MESSAGE: &str = "Your change to a locked item was not saved; reloading the board from the \
                       server";
/// What the reloaded page says.
const AFTER: &str = "Your change to a locked item was not saved; the board was reloaded from the \
                     server";
/// The `sessionStorage` key that tells the reloaded page (value: the board's id).
const FLAG: &str = "huddle.locked-reload";

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
        if s.features.locks.reloading {
            return;
        }
        s.features.locks.reloading = true;
        role::notice(&s, MESSAGE);
        if let Some(storage) = session_storage() {
            let _ = storage.set_item(FLAG, &s.id);
        }
        s.session.store.clone()
    };
    wasm_bindgen_futures::spawn_local(async move {
        if let Some(store) = store
            && let Err(err) = store.discard().await
        {
            log_error("could not drop the board's offline copy", &err);
        }
        role::reload();
    });
}

/// When the page opens: if it was reloaded because of a refusal, says so.
pub fn after(s: &State) {
    let Some(storage) = session_storage() else {
        return;
    };
    if storage.get_item(FLAG).ok().flatten().as_deref() == Some(s.id.as_str()) {
        let _ = storage.remove_item(FLAG);
        role::notice(s, AFTER);
    }
}

fn session_storage() -> Option<web_sys::Storage> {
    dom::window().ok()?.session_storage().ok()?
}
