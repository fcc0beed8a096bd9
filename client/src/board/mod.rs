//! The board page: a header (title, status, people), an infinite canvas with sticky notes,
//! a toolbar, and the `window.huddle` hooks that tests and benchmarks drive.
//!
//! One [`State`] behind an `Rc<RefCell<..>>` (a [`Page`]) holds everything; event listeners
//! and the animation-frame callback borrow it for the length of one handler. Gestures write
//! the document in one transaction with origin [`huddle_shared::model::LOCAL_ORIGIN`] (one undo step, one update on
//! the wire), then call [`State::after_gesture`]. Every transaction, wherever it came from,
//! marks the touched items in [`sync::Changes`]; the next frame re-reads only those into the
//! [`scene::Scene`] and redraws. Frames run on `requestAnimationFrame` only when dirty.
//!
//! [`State`] is the board (id, document, scene, story maps, undo) plus named parts:
//! [`view::View`] (canvas, size, pixel ratio, camera), [`selection::Selection`],
//! [`gesture::Pointer`] (tool, gesture, fingers, space, cursor), [`session::Session`]
//! (person, role, connection, local copy, presence) and [`features::Features`] (rounds,
//! facilitation, locks, comments, since, the story-map panels).
//!
//! # Layout
//!
//! The modules form layers, from the document up to the controllers. The aim is that a module
//! uses only the layers below it; not all do yet (some [`State`] methods, such as
//! [`State::selection_changed`], still reach up into panels, and features reach into the
//! board's commands).
//!
//! - **Document and connection**: [`sync`] (which items changed), `first_view` (the
//!   server's plain view of the items, drawn until the document is synced), `session` (the person,
//!   connection, local copy, presence), `connect` (open the local copy, connect, wire presence
//!   in), `role` (what the person may do), `peers` (the seam to presence).
//! - **View data**, what this viewer sees, plain values: `view` and `camera`, `scene` (items
//!   cached between frames) with `grid` (spatial index) and `layout` (wrapped text),
//!   `storymap`'s laid-out maps, `selection`, `gesture` (the pointer's state machine and
//!   tools), `stats`.
//! - **Style and geometry**: `style` (every canvas colour and font, the text styles) and
//!   `geometry` (sizes and boxes that drawing and hit-testing agree on).
//! - **Drawing**: `render` (one frame) calls `paint` (one item), `connector`, `peers`, and each
//!   feature's own `paint` (`raci`, `storymap`, `rounds`, `locks`, `comments`, `since`,
//!   private notes). Drawing reads the state and never writes the document.
//! - **Hit-testing**: `hit` (what is under the pointer, the cursor), `connector`'s distance,
//!   `storymap::chrome`, the features' `pin_at`-style lookups.
//! - **Commands**: `dispatch` ([`dispatch::Action`] and `run`, the one dispatcher) over
//!   `actions` (edits of the board, one transaction each), `arrange`, `clipboard`, `editor`.
//! - **Controllers**, turning events into commands: `keys` (key -> action, the shortcut list),
//!   `input` and `touch` (pointer), `toolbar` (buttons -> actions; redrawn from the state each
//!   frame), `help`, `menu` and `pictures`, `map_filter`, `story_panel`, `hooks`
//!   (`window.huddle`).
//! - **Features**, each with its state, panel, paint and commands: `rounds`, `facilitation`,
//!   `locks`, `comments`, `since`, `versions`, `raci`, `storymap`, `share`, `webhooks`; what
//!   they hold in [`State`] is gathered in `features`.

mod actions;
mod arrange;
mod camera;
mod clipboard;
mod comments;
mod connect;
mod connector;
mod dispatch;
mod editor;
mod facilitation;
mod features;
mod first_view;
mod geometry;
mod gesture;
mod grid;
mod help;
mod hit;
mod hooks;
mod input;
mod keys;
mod layout;
mod locks;
mod map_filter;
mod menu;
mod paint;
mod peers;
mod pictures;
mod raci;
mod render;
mod role;
mod rounds;
mod scene;
mod selection;
mod session;
mod share;
mod since;
mod stats;
mod story_panel;
mod storymap;
mod style;
mod sync;
mod toolbar;
mod touch;
mod versions;
mod view;
mod webhooks;

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use huddle_shared::model::{Board, Color, UndoManager};
use huddle_shared::yrs::{Transact, TransactionMut};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{CanvasRenderingContext2d, Document, Element};

use crate::dom::{self, Listener, log_error};
use crate::identity::Guest;

pub use peers::PresenceLink;

use self::editor::Editor;
use self::features::Features;
use self::gesture::Pointer;
use self::gesture::Tool;
use self::scene::Scene;
use self::selection::Selection;
use self::session::Session;
use self::stats::FrameStats;
use self::sync::Changes;
use self::view::View;

pub type Page = Rc<RefCell<State>>;

/// A board that stays empty this long after connecting is taken as loaded (for
/// `huddle.frames().firstCompleteAt`; a board with items is loaded when they arrive).
const EMPTY_BOARD_LOADED_MS: i32 = 2000;

/// Everything the board page knows. Fields are `pub(super)`-ish by convention: only board/.
pub struct State {
    /// The board's id (its path is `/b/{id}`).
    pub id: String,
    pub board: Board,
    /// The person (profile, role), the connection, the local copy, presence.
    pub session: Session,
    pub doc: Document,
    pub stage: Element,
    pub title: Element,
    pub help: Element,
    /// The canvas and how the board is seen through it (size, pixel ratio, camera).
    pub view: View,
    pub scene: Scene,
    pub changes: Changes,
    /// The story maps, laid out for this viewer.
    pub maps: storymap::Maps,
    /// The selected items, and the order they were clicked in.
    pub selection: Selection,
    pub editor: Option<Editor>,
    /// The tool, the gesture in progress, fingers down, space held, the canvas's cursor.
    pub pointer: Pointer,
    /// Colour of new notes (the toolbar's last pick).
    pub color: Color,
    /// What the toolbar last showed of the tool and colour ([`toolbar::show`]).
    pub toolbar: toolbar::Shown,
    /// Undo of this page's own changes (origin `LOCAL_ORIGIN`) only.
    pub undo: Option<UndoManager>,
    pub stats: FrameStats,
    /// The document has arrived (from the server or IndexedDB), or the board's first view,
    /// so a complete frame counts.
    pub loaded: bool,
    /// The board's first view, drawn while the document is on its way ([`first_view`]).
    pub first_view: first_view::FirstView,
    /// Reused buffer of the visible slots (no allocation per frame).
    pub visible: Vec<u32>,
    /// Rounds, facilitation, locks, comments, since, the story-map panels.
    pub features: Features,
    dirty: bool,
    raf_pending: bool,
    raf: Option<Closure<dyn FnMut(f64)>>,
    me: Weak<RefCell<State>>,
}

impl State {
    /// Schedules a frame (at most one pending).
    pub fn request_frame(&mut self) {
        self.dirty = true;
        if self.raf_pending {
            return;
        }
        let (Ok(window), Some(raf)) = (dom::window(), self.raf.as_ref()) else {
            return;
        };
        match window.request_animation_frame(raf.as_ref().unchecked_ref()) {
            Ok(_) => self.raf_pending = true,
            Err(err) => log_error("could not request an animation frame", &err),
        }
    }

    /// The name new items are signed with (the one chosen in the people panel, if any).
    pub fn author(&self) -> String {
        match &self.session.presence {
            Some(p) => p.author(),
            None => self.session.guest.name.clone(),
        }
    }

    /// A read-write transaction for a local gesture (tracked by undo).
    pub fn local_txn(&self) -> TransactionMut<'_> {
        self.board.transact_local()
    }

    /// Ends a gesture: its edits become one undo step, are sent, and drawn.
    pub fn after_gesture(&mut self) {
        if let Some(undo) = self.undo.as_mut() {
            undo.reset();
        }
        if let Some(conn) = &self.session.conn {
            conn.flush_local();
        }
        self.request_frame();
    }

    /// Takes out or puts away a tool; the toolbar shows it on the next frame.
    pub fn set_tool(&mut self, tool: Tool) {
        self.pointer.tool = tool;
        self.request_frame();
    }

    /// The user moved the camera (pan, zoom, fit): tell presence, stop following.
    pub fn camera_moved(&mut self) {
        if let Some(p) = &self.session.presence {
            p.stop_following();
            p.set_viewport(self.view.camera.viewport(self.view.size));
        }
        self.request_frame();
    }

    /// Brings the scene (and selection, editor, title) in line with the document now.
    pub fn catch_up(&mut self) {
        if self.changes.is_empty() && !self.maps.dirty {
            return;
        }
        let (_, meta) = self
            .changes
            .apply(&self.board, &mut self.scene, &mut self.maps);
        if self.maps.dirty {
            let drawn = self.maps.relayout();
            self.scene.set_drawn(drawn);
            if let Some(bar) = &self.features.map_filter {
                bar.set_visible(!self.maps.laid.is_empty());
            }
        }
        if meta {
            show_title(self);
        }
        actions::prune(self);
        editor::sync(self);
        story_panel::refresh(self);
    }

    /// Shows only the stories matching `filter` in every story map (for the filter bar; an
    /// empty filter shows all). Per viewer: nothing is written to the document.
    pub fn set_filter(&mut self, filter: huddle_shared::storymap::Filter) {
        self.maps.set_filter(filter);
        self.request_frame();
    }

    pub fn page(&self) -> Option<Page> {
        self.me.upgrade()
    }

    /// Re-reads the canvas size and pixel ratio; resizes the backing store to match.
    pub fn resize(&mut self) {
        self.view.resize(&self.stage);
        self.request_frame();
    }
}

/// One animation frame: apply document changes, draw, time it.
fn frame(page: &Page) {
    let mut s = page.borrow_mut();
    s.raf_pending = false;
    if !s.dirty && s.changes.is_empty() {
        return;
    }
    s.dirty = false;
    let start = stats::now();
    let state = &mut *s;
    state.catch_up();
    rounds::catch_up(state);
    facilitation::catch_up(state);
    locks::catch_up(state);
    comments::catch_up(state);
    if state.scene.len() > 0 {
        state.loaded = true;
    }
    let complete = render::draw(state);
    editor::place(state);
    toolbar::show(state);
    let end = stats::now();
    let loaded = state.loaded;
    let first = state.stats.first_complete_at.is_none();
    state
        .stats
        .record(end - start, complete && loaded, end, state.scene.len());
    if first && state.stats.first_complete_at.is_some() {
        dom::mark(crate::READY_MARK);
    }
    if !complete {
        state.request_frame();
    }
}

fn show_title(state: &State) {
    let title = state.board.title(&state.board.doc().transact());
    let shown = match title.as_deref() {
        Some(t) if !t.is_empty() => t,
        _ => "Untitled board",
    };
    state.title.set_text_content(Some(shown));
    state.doc.set_title(&format!("{shown} · Huddle"));
    // The home page's "Recently opened" list shows the title.
    if let Some(title) = title.as_deref().filter(|t| !t.is_empty()) {
        crate::offline::retitle(&state.id, title);
    }
}

/// Builds the board page for `board_id` into `root`, opens the local copy and connects.
pub fn mount(root: &Element, board_id: &str) -> Result<(), JsValue> {
    // `?version=...`: a version of the board, read-only, instead of the live board.
    let version = versions::readonly::requested();
    // The live board's first view is asked for before anything else (see [`first_view`]).
    let view = version.is_none().then(|| first_view::request(board_id));
    let doc = dom::document()?;
    let parts = toolbar::build_page(&doc, root, board_id)?;
    let ctx: CanvasRenderingContext2d = parts
        .canvas
        .get_context("2d")?
        .ok_or_else(|| JsValue::from_str("no 2D canvas context"))?
        .dyn_into()?;

    let board = Board::new();
    let changes = Changes::observe(&board);
    let features = Features::observe(&board);
    let undo = board.undo_manager(|| js_sys::Date::now() as u64);
    let guest = Guest::load();
    let page: Page = Rc::new_cyclic(|me| {
        RefCell::new(State {
            id: board_id.to_owned(),
            board: board.clone(),
            session: Session::new(guest.clone()),
            doc: doc.clone(),
            stage: parts.stage.clone(),
            title: parts.title.clone(),
            help: parts.help.clone(),
            view: View::new(parts.canvas.clone(), ctx),
            scene: Scene::default(),
            changes,
            maps: storymap::Maps::default(),
            selection: Selection::default(),
            editor: None,
            pointer: Pointer::default(),
            color: Color::default(),
            toolbar: toolbar::Shown::default(),
            undo: Some(undo),
            stats: FrameStats::default(),
            loaded: false,
            first_view: first_view::FirstView::default(),
            visible: Vec::new(),
            features,
            dirty: true,
            raf_pending: false,
            raf: None,
            me: me.clone(),
        })
    });
    let weak = Rc::downgrade(&page);
    page.borrow_mut().raf = Some(Closure::new(move |_: f64| {
        if let Some(page) = weak.upgrade() {
            frame(&page);
        }
    }));

    input::install(&page)?;
    keys::install(&page)?;
    toolbar::install(&page, &parts)?;
    help::install(&page)?;
    hooks::install(&page)?;
    raci::install_or_log(&page);
    menu::install(&page, &parts.side)?;
    versions::install(&page, &parts.side)?;
    if version.is_some() {
        install_panels(&page)?;
    }
    let weak = Rc::downgrade(&page);
    Listener::new(&dom::window()?.into(), "resize", move |_| {
        if let Some(page) = weak.upgrade() {
            page.borrow_mut().resize();
        }
    })?
    .forever();
    page.borrow_mut().resize();

    // The board page lives as long as the document: everything else holds it weakly.
    std::mem::forget(Rc::clone(&page));

    let board_id = board_id.to_owned();
    let status = parts.status.clone();
    let side = parts.side.clone();
    if let Some(view) = view {
        first_view::show_when_received(&page, view);
    }
    wasm_bindgen_futures::spawn_local(async move {
        let opened = match version {
            Some(v) => versions::readonly::open(page, board, board_id, v).await,
            None => connect::connect(&page, board, &board_id, status, side).await,
        };
        if let Err(err) = opened {
            log_error("could not open the board", &err);
        }
    });
    Ok(())
}

/// The panels the board's first frame does not show (a story's fields, rounds, facilitation,
/// locks, comments, "since you last looked", the story-map filter). A live board builds them
/// once it is drawn and before it connects (`connect`), so that every server event finds its
/// panel: built in `mount`, they made a big board's cold load 19 to 44 ms longer. What the
/// page learnt before (from the browser's copy of the board) is shown in them now.
fn install_panels(page: &Page) -> Result<(), JsValue> {
    let stage = page.borrow().stage.clone();
    story_panel::install(page, &stage)?;
    rounds::install(page, &stage)?;
    facilitation::install(page, &stage)?;
    locks::install(page)?;
    comments::install(page, &stage)?;
    since::install(page, &stage)?;
    let bar = map_filter::install(page, &stage, |page, filter| {
        page.borrow_mut().set_filter(filter);
    })?;
    let mut s = page.borrow_mut();
    bar.set_visible(!s.maps.laid.is_empty());
    s.features.map_filter = Some(bar);
    story_panel::refresh(&mut s);
    rounds::refresh(&mut s);
    facilitation::refresh(&mut s);
    locks::selection_changed(&mut s);
    s.request_frame();
    Ok(())
}
