//! The mount sequence's async half and the handle others hold on the page: open the local
//! copy (IndexedDB), connect, then build presence and wire it in. Everything outside the
//! board holds the page through [`BoardHandle`], weakly, and may call it from any callback.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use huddle_shared::model::Board;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::Element;

use super::camera::Camera;
use super::{EMPTY_BOARD_LOADED_MS, Page, PresenceLink, State, role, share};
use crate::access::{self, BoardAccess};
use crate::dom;
use crate::identity::Guest;
use crate::net::{Connection, Events, Status};
use crate::offline;
use crate::presence::{Presence, PresenceEvents, Viewport};
use crate::task;

/// A handle on the board page for wiring presence in (cheap to clone; does nothing once the
/// page is gone). Safe to call from any callback: if the page is busy, the call is deferred.
#[derive(Clone)]
pub struct BoardHandle(Weak<RefCell<State>>);

impl BoardHandle {
    fn with(&self, f: impl FnOnce(&mut State) + 'static) {
        let Some(page) = self.0.upgrade() else {
            return;
        };
        if let Ok(mut state) = page.try_borrow_mut() {
            f(&mut state);
            return;
        }
        // Called from inside one of our own handlers: run right after it.
        let weak = self.0.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if let Some(page) = weak.upgrade()
                && let Ok(mut state) = page.try_borrow_mut()
            {
                f(&mut state);
            }
        });
    }

    /// Installs the presence handle (the board reports gestures to it and draws its peers).
    pub fn set_presence(&self, link: Box<dyn PresenceLink>) {
        self.with(move |s| {
            link.set_viewport(s.view.camera.viewport(s.view.size));
            s.session.presence = Some(link);
            s.request_frame();
        });
    }

    /// Peers changed (cursor, selection, drag...): redraw.
    pub fn peers_changed(&self) {
        self.with(|s| s.request_frame());
    }

    /// Net's `on_awareness`: forwarded to presence.
    pub fn awareness_changed(&self) {
        self.with(|s| {
            if let Some(p) = &s.session.presence {
                p.awareness_changed();
            }
            s.request_frame();
        });
    }

    /// Moves the camera to someone's viewport (following them, or summoned).
    pub fn follow(&self, viewport: Viewport) {
        self.with(move |s| {
            s.view.camera = Camera::from_viewport(viewport, s.view.size);
            if let Some(p) = &s.session.presence {
                p.set_viewport(s.view.camera.viewport(s.view.size));
            }
            s.request_frame();
        });
    }
}

/// Opens the board's copy in IndexedDB and restores it into `board` (once the board's first
/// view is drawn, see [`super::first_view::settled`]). Without IndexedDB (private windows...)
/// the board still works online.
async fn open_local(page: &Page, board: Board, board_id: String) -> offline::LocalStore {
    let settled = super::first_view::settled(Rc::downgrade(page));
    let store = match offline::open(&board, &board_id, settled).await {
        Ok(store) => store,
        Err(err) => {
            dom::log_error("could not open the board's offline copy", &err);
            offline::LocalStore::online_only()
        }
    };
    dom::mark("huddle-restored");
    store
}

fn show_status(badge: &Element, status: Status) {
    badge.set_text_content(Some(status.as_str()));
    badge.set_class_name(&format!("status {}", status.as_str()));
}

/// Who we are, our role, the local copy and the board's first view side by side; then the
/// server (once the local copy is restored), then presence.
pub async fn connect(
    page: &Page,
    board: Board,
    board_id: &str,
    status: Element,
    side: Element,
) -> Result<(), JsValue> {
    // None of these waits for another: they go out at once (the board's first view went
    // before, in `mount`).
    let guest = task::start(Guest::current());
    let access = task::start({
        let board_id = board_id.to_owned();
        async move { access::board(&board_id).await }
    });
    let store = task::start({
        let (page, board, board_id) = (page.clone(), board.clone(), board_id.to_owned());
        async move { open_local(&page, board, board_id).await }
    });
    // The person (their name and colour are the server's) and what they may do here.
    let guest = guest.await;
    page.borrow_mut().session.guest = guest.clone();
    let role = match access.await {
        BoardAccess::Role(role) => role,
        BoardAccess::NoAccess => {
            role::no_access(&page.borrow());
            return Ok(());
        }
    };
    role::apply(&mut page.borrow_mut(), role);
    // For the home page's "Recently opened" (a board opened without access is not listed).
    offline::remember_board(board_id, "");
    let admin = access::cached_me().is_some_and(|me| me.admin);
    if role.may_manage() || admin {
        share::install(page, &side)?;
        super::webhooks::install(page, &side)?;
    }
    crate::inbox::install(&side)?;
    // The browser's copy is restored before connecting: the first sync sends what was edited
    // offline.
    let store = store.await;
    // The board is drawn (or there was no view to draw): the panels, before any event comes.
    if let Err(err) = super::install_panels(page) {
        dom::log_error("could not build the board's panels", &err);
    }
    let handle = BoardHandle(Rc::downgrade(page));
    let weak = Rc::downgrade(page);
    let on_awareness = handle.clone();
    let events = Events {
        on_status: Box::new(move |s| show_status(&status, s)),
        on_remote_change: Box::new(move || {
            BoardHandle(weak.clone()).with(|s| {
                s.loaded = true;
                // Now, not at the next frame: the note being edited must show the remote
                // characters before the next keystroke is diffed against it, or that
                // keystroke lands at an index that no longer means the same place.
                s.catch_up();
                s.request_frame();
            })
        }),
        on_synced: Box::new({
            let handle = handle.clone();
            move || handle.with(super::first_view::synced)
        }),
        on_awareness: Box::new(move || on_awareness.awareness_changed()),
        on_denied: Box::new({
            let handle = handle.clone();
            let board_id = board_id.to_owned();
            move |reason| {
                handle.with(move |s| role::notice(s, &reason));
                // A refused edit may mean the role dropped while we were away: if the server
                // now says less than the page thinks, come back with what it says.
                let (handle, board_id) = (handle.clone(), board_id.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    let now = access::board(&board_id).await;
                    handle.with(move |s| {
                        if now != BoardAccess::Role(s.session.role) {
                            role::reload();
                        }
                    });
                });
            }
        }),
        on_unsent: Box::new({
            let weak = Rc::downgrade(page);
            move || {
                if let Some(page) = weak.upgrade() {
                    role::show_unsent(&page);
                }
            }
        }),
        on_role_changed: Box::new(role::reload),
        on_locked: Box::new({
            let weak = Rc::downgrade(page);
            move || super::locks::on_refused(&weak)
        }),
        on_round: Box::new({
            let handle = handle.clone();
            move |news| handle.with(move |s| super::rounds::on_news(s, news))
        }),
        on_facilitation: Box::new({
            let handle = handle.clone();
            move |news| handle.with(move |s| super::facilitation::on_news(s, news))
        }),
        on_comment: Box::new({
            let handle = handle.clone();
            move |news| handle.with(move |s| super::comments::on_news(s, news))
        }),
    };
    let conn = Connection::start(board, board_id, &guest, events, &store, !role.may_edit())?;
    let presence_conn = conn.clone();
    // An empty board never gets a remote change: count it as loaded after a moment.
    let later = handle.clone();
    let loaded = Closure::once_into_js(move || {
        later.with(|s| {
            s.loaded = true;
            s.request_frame();
        })
    });
    dom::window()?.set_timeout_with_callback_and_timeout_and_arguments_0(
        loaded.unchecked_ref(),
        EMPTY_BOARD_LOADED_MS,
    )?;
    {
        let mut s = page.borrow_mut();
        s.session.store = Some(store);
        s.session.conn = Some(conn);
        s.request_frame();
    }
    let (on_peers, on_follow) = (handle.clone(), handle.clone());
    let events = PresenceEvents {
        on_peers: Box::new(move || on_peers.peers_changed()),
        on_follow: Box::new(move |v| on_follow.follow(v)),
    };
    let presence = Presence::new(presence_conn, guest, &side, events)?;
    handle.set_presence(Box::new(presence));
    Ok(())
}
