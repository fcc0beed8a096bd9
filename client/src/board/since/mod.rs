//! "Since you last looked" in the page ([`huddle_shared::since`]): when the board opens, the
//! page asks the server what others changed since this person last had it open
//! (`GET /api/boards/{id}/since`), lists it in a panel (`panel`), outlines the changed items
//! on the canvas (`draw`), steps through them ("Next change", `.`; previous, `,`), centring
//! each, and "Mark all seen" (`POST .../seen` with the report's `upto`) clears it all.
//!
//! The server keeps what a person has seen (per person, so it follows them to any device)
//! and records it itself when their last connection to the board leaves; the page only
//! asks and shows. Titles and positions come from the page's own copy of the board when the
//! item is still there (the freshest), else from the report (a deleted item's last title).

mod panel;

use std::collections::BTreeSet;

use huddle_shared::json::to_value;
use huddle_shared::since::{Change, ChangeKind, SinceReport};
use wasm_bindgen::prelude::*;
use web_sys::{CanvasRenderingContext2d, Element, RequestInit};

use super::camera::Rect;
use super::scene::{Scene, intersects};
use super::style::{CHANGED, CURRENT_CHANGE};
use super::{Page, State};
use crate::dom::log_error;
use crate::http;

/// The outline of a changed item (amber: noticed, not alarming).
const OUTLINE: &str = CHANGED;
/// The outline of the change "Next change" centred last.
const CURRENT: &str = CURRENT_CHANGE;
/// Outline width and gap around the item, in screen px.
const OUTLINE_PX: f64 = 3.0;
const GAP_PX: f64 = 4.0;

/// What the page knows of the changes since this person last looked.
#[derive(Default)]
pub struct Since {
    /// The server's report, until marked seen.
    report: Option<SinceReport>,
    /// Items to outline on the canvas (those of item rows that are not deletions).
    outlined: BTreeSet<String>,
    /// Index into the report's changes of the one centred last.
    current: Option<usize>,
    panel: Option<panel::Panel>,
}

/// Builds the (hidden) panel and asks the server for the report.
pub fn install(page: &Page, stage: &Element) -> Result<(), JsValue> {
    let built = panel::Panel::build(page, stage)?;
    page.borrow_mut().features.since.panel = Some(built);
    let weak = std::rc::Rc::downgrade(page);
    wasm_bindgen_futures::spawn_local(async move {
        let Some(id) = weak.upgrade().map(|p| p.borrow().id.clone()) else {
            return;
        };
        let url = format!("/api/boards/{id}/since");
        match http::fetch_json::<SinceReport>(&url, &RequestInit::new()).await {
            Ok(report) => {
                if let Some(page) = weak.upgrade() {
                    show(&mut page.borrow_mut(), report);
                }
            }
            // Offline, or no role yet: nothing to show, the board works as ever.
            Err(err) => log_error("could not load what changed since you last looked", &err),
        }
    });
    Ok(())
}

/// Takes a report in: the panel lists it (shown only if something changed) and the changed
/// items are outlined.
fn show(s: &mut State, report: SinceReport) {
    s.features.since.outlined = report
        .changes
        .iter()
        .filter(|c| c.kinds.iter().all(|k| *k != ChangeKind::Deleted))
        .filter_map(|c| c.item.clone())
        .collect();
    s.features.since.current = None;
    s.features.since.report = Some(report);
    refresh(s);
    s.request_frame();
}

/// Redraws the panel from the report.
fn refresh(s: &State) {
    if let Some(p) = &s.features.since.panel {
        let lines: Vec<panel::Line> = s
            .features
            .since
            .report
            .iter()
            .flat_map(|r| r.changes.iter().enumerate())
            .map(|(i, c)| line(s, c, s.features.since.current == Some(i)))
            .collect();
        let report = s.features.since.report.as_ref();
        p.show(report.map(|r| (r.since, r.truncated)), &lines);
    }
}

/// One row in words: who did what to which item.
fn line(s: &State, c: &Change, current: bool) -> panel::Line {
    let who = match c.by.len() {
        0 => "Someone".to_owned(),
        1 => c.by[0].clone(),
        2 => format!("{} and {}", c.by[0], c.by[1]),
        n => format!("{}, {} and {} more", c.by[0], c.by[1], n - 2),
    };
    let verbs: Vec<&str> = c
        .kinds
        .iter()
        .map(|k| match k {
            ChangeKind::Created => "created",
            ChangeKind::Edited => "edited",
            ChangeKind::Moved => "moved",
            ChangeKind::Deleted => "deleted",
            ChangeKind::RoundOpened => "opened a round:",
            ChangeKind::RoundRevealed => "revealed a round:",
            ChangeKind::Decision => "recorded a decision:",
            ChangeKind::Comment => "commented:",
        })
        .collect();
    let title = current_title(s, c);
    let on_canvas = c
        .item
        .as_deref()
        .is_some_and(|id| centre_of(s, id).is_some());
    panel::Line {
        item: c.item.clone().unwrap_or_default(),
        kinds: c
            .kinds
            .iter()
            .map(|k| to_value(k).as_str().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
            .join(" "),
        text: format!("{who} {} “{title}”", verbs.join(" and ")),
        on_canvas,
        current,
    }
}

/// The item's title as the page has it now (the report's when it is gone or untitled).
fn current_title(s: &State, c: &Change) -> String {
    let from_doc = c.item.as_deref().and_then(|id| {
        use huddle_shared::yrs::Transact;
        let txn = s.board.doc().transact();
        s.board.change_label(&txn, id).map(|(t, _)| t)
    });
    match from_doc.filter(|t| !t.is_empty()) {
        Some(t) => t,
        None if c.title.is_empty() => "untitled".to_owned(),
        None => c.title.clone(),
    }
}

/// Where item `id` is drawn (its centre), if it is on the canvas.
fn centre_of(s: &State, id: &str) -> Option<[f64; 2]> {
    let r = shown_rect(&s.scene, id)?;
    Some([r[0] + r[2] / 2.0, r[1] + r[3] / 2.0])
}

fn shown_rect(scene: &Scene, id: &str) -> Option<Rect> {
    scene
        .get(id)
        .filter(|i| !i.hidden && !i.is_connector())
        .map(|i| i.rect())
}

/// Centres the next (`forward`) or previous change that is on the canvas; the panel marks it.
pub fn step(s: &mut State, forward: bool) {
    let n = s
        .features
        .since
        .report
        .as_ref()
        .map_or(0, |r| r.changes.len());
    for k in 1..=n {
        let i = match (s.features.since.current, forward) {
            (None, true) => k - 1,
            (None, false) => n - k,
            (Some(c), true) => (c + k) % n,
            (Some(c), false) => (c + n - k % n) % n,
        };
        if centre(s, i) {
            return;
        }
    }
}

/// Centres change `i` of the list, if its item is on the canvas; whether it did.
fn centre(s: &mut State, i: usize) -> bool {
    let item = s
        .features
        .since
        .report
        .as_ref()
        .and_then(|r| r.changes.get(i)?.item.clone());
    let Some(centre) = item.and_then(|id| centre_of(s, &id)) else {
        return false;
    };
    s.features.since.current = Some(i);
    let z = s.view.camera.zoom;
    s.view.camera.origin = [
        centre[0] - s.view.size[0] / (2.0 * z),
        centre[1] - s.view.size[1] / (2.0 * z),
    ];
    s.camera_moved();
    refresh(s);
    true
}

/// "Mark all seen": tells the server, then clears the list and the outlines.
pub fn mark_seen(page: &Page) {
    let (id, upto) = {
        let s = page.borrow();
        let Some(report) = &s.features.since.report else {
            return;
        };
        (s.id.clone(), report.upto)
    };
    let weak = std::rc::Rc::downgrade(page);
    wasm_bindgen_futures::spawn_local(async move {
        let url = format!("/api/boards/{id}/seen");
        let body = serde_json::json!({ "upto": upto }).to_string();
        let sent = match http::request("POST", "application/json", &body) {
            Ok(init) => http::fetch_text(&url, &init).await.map(|_| ()),
            Err(e) => Err(e),
        };
        let Some(page) = weak.upgrade() else { return };
        let mut s = page.borrow_mut();
        match sent {
            Ok(()) => {
                s.features.since.report = None;
                s.features.since.outlined.clear();
                s.features.since.current = None;
                refresh(&s);
                s.request_frame();
            }
            Err(err) => {
                if let Some(p) = &s.features.since.panel {
                    p.error(
                        &err.as_string()
                            .unwrap_or_else(|| "could not mark seen".into()),
                    );
                }
            }
        }
    });
}

/// Outlines the changed items that are in view (the context is in world units at `zoom`).
pub fn draw(ctx: &CanvasRenderingContext2d, since: &Since, scene: &Scene, zoom: f64, view: Rect) {
    if since.outlined.is_empty() {
        return;
    }
    let current = since
        .current
        .and_then(|i| since.report.as_ref()?.changes.get(i)?.item.as_deref());
    let gap = GAP_PX / zoom;
    ctx.save();
    ctx.set_line_width(OUTLINE_PX / zoom);
    for id in &since.outlined {
        let Some(r) = shown_rect(scene, id).filter(|r| intersects(*r, view)) else {
            continue;
        };
        let colour = if current == Some(id.as_str()) {
            CURRENT
        } else {
            OUTLINE
        };
        ctx.set_stroke_style_str(colour);
        ctx.stroke_rect(r[0] - gap, r[1] - gap, r[2] + 2.0 * gap, r[3] + 2.0 * gap);
    }
    ctx.restore();
}

/// What `huddle.since()` returns to tests: the outlined items, the one centred last and how
/// many rows are listed.
pub fn hook_json(s: &State) -> serde_json::Value {
    let current = s.features.since.current.and_then(|i| {
        s.features
            .since
            .report
            .as_ref()?
            .changes
            .get(i)?
            .item
            .clone()
    });
    serde_json::json!({
        "outlined": to_value(&s.features.since.outlined),
        "current": current,
        "listed": s.features.since.report.as_ref().map_or(0, |r| r.changes.len()),
    })
}
