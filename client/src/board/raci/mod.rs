//! RACI matrices on the board page (see `huddle_shared::raci` for the model and rules).
//!
//! - Making one: the toolbar's "RACI" button ([`create`]) takes the selected notes as rows
//!   (top to bottom, then left to right, as they lie on the board) and the board's people as
//!   columns: everyone with a role, from the share API when this person owns the board,
//!   else this person alone (the share API is the owner's). More columns are named roles.
//! - Editing it ([`click`]): a click on a cell cycles empty -> R -> A -> C -> I -> empty, one
//!   undoable transaction per click; the "+" header adds a role column (asked by name); a
//!   click on a column header renames it (an empty name removes it); the "×" at a row's end
//!   removes the row (the note stays); the strip under the rows adds the selected notes.
//!   Presses elsewhere on the matrix select and drag it like any item.
//! - Drawing it: `paint`, hooked into the renderer's item loop.
//!
//! `window.huddle.raci()` ([`hook_json`]) lists every matrix with its rows' labels, letters,
//! problems and where each cell is in client coordinates, so the browser tests click real
//! cells.

pub mod paint;

use std::collections::BTreeSet;

use huddle_shared::model::{ItemKind, NewRaci};
use huddle_shared::raci::geometry::{self, Spot};
use huddle_shared::raci::{Letter, NewCol, Raci, label_of};
use huddle_shared::yrs::Transact;
use serde_json::{Value, json};
use wasm_bindgen::prelude::*;

use super::actions::js_now;
use super::{Page, State, role};
use crate::dom::{self, log_error};

/// The "×" at the right end of a row label (removes the row), in board units.
pub const REMOVE_W: f64 = 24.0;
/// Space between the selection and a matrix made from it.
const GAP: f64 = 48.0;

/// Matrix `id` as the document has it now (`None`: not a matrix, or gone).
pub fn read(s: &State, id: &str) -> Option<Raci> {
    s.board.raci(&s.board.doc().transact(), id)
}

/// The toolbar's "RACI": a matrix of the selected notes, with the board's people as columns.
pub fn create(s: &mut State) {
    let Some(page) = s.page() else {
        return;
    };
    let board = s.id.clone();
    // The person as the page knows them (the server's, once it answered).
    let me = (!s.session.guest.id.is_empty())
        .then(|| (s.session.guest.id.clone(), s.session.guest.name.clone()));
    wasm_bindgen_futures::spawn_local(async move {
        let people = people(&board).await;
        let cols: Vec<NewCol> = match (people, me) {
            (Some(people), _) if !people.is_empty() => people,
            (_, Some((id, name))) => vec![NewCol::person(&id, &name)],
            _ => Vec::new(),
        };
        let Ok(mut s) = page.try_borrow_mut() else {
            return;
        };
        make(&mut s, cols);
    });
}

/// Writes the matrix: rows from the selection, at the right of it (or mid-view).
fn make(s: &mut State, cols: Vec<NewCol>) {
    let mut notes: Vec<(f64, f64, String)> = s
        .selection
        .ids
        .iter()
        .filter_map(|id| {
            let item = s.scene.get(id).filter(|i| i.kind == ItemKind::Note)?;
            Some((item.pos[1], item.pos[0], id.clone()))
        })
        .collect();
    huddle_shared::sort::sort_by(&mut notes, |a, b| {
        a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1))
    });
    let pos = match super::camera::enclosing(
        notes
            .iter()
            .filter_map(|(_, _, id)| s.scene.get(id).map(|i| i.rect())),
    ) {
        Some(r) => [r[0] + r[2] + GAP, r[1]],
        None => {
            let c = s.view.camera.viewport(s.view.size);
            let [w, h] = geometry::size(0, cols.len());
            [c.x - w / 2.0, c.y - h / 2.0]
        }
    };
    let new = NewRaci {
        pos,
        rows: notes.into_iter().map(|(_, _, id)| id).collect(),
        cols,
        author: s.author(),
        created_at: js_now(),
        ..NewRaci::default()
    };
    let result = s.board.create_raci(&mut s.local_txn(), new);
    s.after_gesture();
    match result {
        Ok(id) => {
            s.catch_up();
            s.set_selection(BTreeSet::from([id]));
        }
        Err(err) => role::notice(s, &format!("Could not make a RACI matrix: {err}")),
    }
}

/// The people with a role on `board`, as columns, if the share API answers (owners only).
async fn people(board: &str) -> Option<Vec<NewCol>> {
    #[derive(serde::Deserialize)]
    struct Member {
        id: String,
        name: String,
        role: Option<serde_json::Value>,
    }
    #[derive(serde::Deserialize)]
    struct Access {
        people: Vec<Member>,
    }
    let url = format!("/api/boards/{board}/access");
    let init = web_sys::RequestInit::new();
    let access: Access = crate::http::fetch_json(&url, &init).await.ok()?;
    Some(
        access
            .people
            .into_iter()
            .filter(|m| m.role.is_some())
            .map(|m| NewCol::person(&m.id, &m.name))
            .collect(),
    )
}

/// Where `world` is on matrix `id`: the matrix, its corner and the spot.
fn spot_on(s: &State, id: &str, world: [f64; 2]) -> Option<(Raci, [f64; 2], Spot)> {
    let item = s.scene.get(id).filter(|i| i.kind == ItemKind::Raci)?;
    let raci = read(s, id)?;
    let corner = item.pos;
    let p = [world[0] - corner[0], world[1] - corner[1]];
    let spot = geometry::spot(raci.rows.len(), raci.cols.len(), p)?;
    Some((raci, corner, spot))
}

/// A press on item `id` at `world`: handles it if it is on a matrix's cell, header, "+" or
/// "×" (and returns `true`); anything else selects and drags as usual.
pub fn click(s: &mut State, id: &str, world: [f64; 2]) -> bool {
    if !s.may_edit() {
        return false;
    }
    let Some((raci, corner, spot)) = spot_on(s, id, world) else {
        return false;
    };
    match spot {
        Spot::Cell(r, c) => {
            let (Some(row), Some(col)) = (raci.rows.get(r), raci.cols.get(c)) else {
                return false;
            };
            let next = Letter::cycle(row.cell(&col.id));
            let result = s
                .board
                .set_raci_cell(&mut s.local_txn(), id, &row.item, &col.id, next);
            finish(s, "set the cell", result.map(drop))
        }
        Spot::Label(r) => {
            let label = geometry::label(r);
            let on_remove = world[0] - corner[0] >= label[0] + label[2] - REMOVE_W;
            let Some(row) = raci.rows.get(r).filter(|_| on_remove) else {
                return false;
            };
            let result = s.board.remove_raci_row(&mut s.local_txn(), id, &row.item);
            finish(s, "remove the row", result)
        }
        Spot::AddRows => {
            let notes: Vec<String> = s
                .selection
                .ids
                .iter()
                .filter(|n| s.scene.get(n).is_some_and(|i| i.kind == ItemKind::Note))
                .cloned()
                .collect();
            if notes.is_empty() {
                role::notice(s, "Select notes or stories first, then click + rows.");
                return true;
            }
            let result = s.board.add_raci_rows(&mut s.local_txn(), id, &notes);
            finish(s, "add rows", result.map(drop))
        }
        Spot::AddCol => {
            let Some(name) = ask("Name of the role (a column):", "") else {
                return true;
            };
            let result = s
                .board
                .add_raci_col(&mut s.local_txn(), id, &NewCol::role(name.trim()));
            finish(s, "add the column", result.map(drop))
        }
        Spot::Header(c) => {
            let Some(col) = raci.cols.get(c) else {
                return false;
            };
            let Some(name) = ask("Rename the column (empty removes it):", &col.label) else {
                return true;
            };
            let result = if name.trim().is_empty() {
                s.board.remove_raci_col(&mut s.local_txn(), id, &col.id)
            } else {
                s.board
                    .rename_raci_col(&mut s.local_txn(), id, &col.id, name.trim())
            };
            finish(s, "change the column", result)
        }
        Spot::Title | Spot::Corner => false,
    }
}

/// Whether a double-click at `world` on item `id` belongs to the matrix's controls (a quick
/// second click on a cell is a second step of the cycle, not an edit of the title).
pub fn swallows_double_click(s: &State, id: &str, world: [f64; 2]) -> bool {
    spot_on(s, id, world).is_some_and(|(_, _, spot)| spot != Spot::Title)
}

/// Whether the pointer at `world` over item `id` is on something a click changes.
pub fn clickable(s: &State, id: &str, world: [f64; 2]) -> bool {
    s.may_edit()
        && spot_on(s, id, world).is_some_and(|(_, corner, spot)| match spot {
            Spot::Label(r) => {
                let label = geometry::label(r);
                world[0] - corner[0] >= label[0] + label[2] - REMOVE_W
            }
            Spot::Title | Spot::Corner => false,
            _ => true,
        })
}

fn finish(s: &mut State, what: &str, result: Result<(), impl std::fmt::Display>) -> bool {
    s.after_gesture();
    if let Err(err) = result {
        role::notice(s, &format!("Could not {what}: {err}"));
    }
    true
}

/// Asks for a name with the browser's prompt; `None` if cancelled.
fn ask(question: &str, default: &str) -> Option<String> {
    dom::window()
        .ok()?
        .prompt_with_message_and_default(question, default)
        .ok()
        .flatten()
}

/// `window.huddle.raci()`: every matrix, with its rows (label, letters, problems, cells'
/// client rectangles), columns and controls.
pub fn hook_json(s: &State) -> Value {
    let txn = s.board.doc().transact();
    let mut ids = s.board.raci_ids(&txn);
    huddle_shared::sort::sort(&mut ids);
    drop(txn);
    let client = |corner: [f64; 2], r: [f64; 4]| {
        let [x, y] = s
            .view
            .camera
            .to_screen([corner[0] + r[0], corner[1] + r[1]]);
        let z = s.view.camera.zoom;
        json!({"x": x + s.view.canvas_at[0], "y": y + s.view.canvas_at[1], "w": r[2] * z, "h": r[3] * z})
    };
    ids.iter()
        .filter_map(|id| {
            let raci = read(s, id)?;
            let item = s.scene.get(id)?;
            let corner = item.pos;
            let rows: Vec<Value> = raci
                .rows
                .iter()
                .enumerate()
                .map(|(r, row)| {
                    let linked = s.scene.get(&row.item);
                    let cells: Vec<Value> = raci
                        .cols
                        .iter()
                        .enumerate()
                        .map(|(c, col)| {
                            json!({
                                "col": col.id,
                                "letter": row.cell(&col.id).map(Letter::as_str),
                                "rect": client(corner, geometry::cell(r, c)),
                            })
                        })
                        .collect();
                    json!({
                        "item": row.item,
                        "label": linked.map(|i| label_of(&i.text)),
                        "deleted": linked.is_none(),
                        "problems": row.problems().iter().map(|p| p.to_string()).collect::<Vec<_>>(),
                        "cells": cells,
                        "rect": client(corner, geometry::label(r)),
                    })
                })
                .collect();
            let cols: Vec<Value> = raci
                .cols
                .iter()
                .enumerate()
                .map(|(c, col)| {
                    json!({
                        "id": col.id,
                        "kind": col.kind.as_str(),
                        "person": col.person,
                        "label": col.label,
                        "rect": client(corner, geometry::header(c)),
                    })
                })
                .collect();
            Some(json!({
                "id": id,
                "title": label_of(&item.text),
                "rows": rows,
                "cols": cols,
                "addCol": client(corner, geometry::add_col(raci.cols.len())),
                "addRows": client(corner, geometry::add_rows(raci.rows.len(), raci.cols.len())),
                "rect": client(corner, [0.0, 0.0, item.size[0], item.size[1]]),
            }))
        })
        .collect()
}

/// Adds `raci()` to `window.huddle` (installed by `hooks`, which must run first).
pub fn install(page: &Page) -> Result<(), JsValue> {
    let window: JsValue = dom::window()?.into();
    let hooks = js_sys::Reflect::get(&window, &JsValue::from_str("huddle"))?;
    if !hooks.is_object() {
        return Ok(());
    }
    let weak = std::rc::Rc::downgrade(page);
    let f = Closure::<dyn Fn() -> JsValue>::new(move || {
        let Some(page) = weak.upgrade() else {
            return JsValue::NULL;
        };
        let Ok(s) = page.try_borrow() else {
            return JsValue::NULL;
        };
        js_sys::JSON::parse(&hook_json(&s).to_string()).unwrap_or(JsValue::NULL)
    });
    js_sys::Reflect::set(&hooks, &JsValue::from_str("raci"), &f.into_js_value())?;
    Ok(())
}

/// Logs a failed hook install without stopping the page.
pub fn install_or_log(page: &Page) {
    if let Err(err) = install(page) {
        log_error("could not install the RACI hook", &err);
    }
}

/// The renderer's hook: paints the item in `slot` if it is a matrix, shifted by `offset` (a
/// drag in progress), and says whether it was one.
pub fn draw_slot(
    ctx: &web_sys::CanvasRenderingContext2d,
    zoom: f64,
    board: &huddle_shared::model::Board,
    scene: &super::scene::Scene,
    slot: u32,
    offset: [f64; 2],
    editing: bool,
) -> bool {
    let Some(item) = scene.slot(slot).filter(|i| i.kind == ItemKind::Raci) else {
        return false;
    };
    if let Some(raci) = board.raci(&board.doc().transact(), &item.id) {
        let pos = [item.pos[0] + offset[0], item.pos[1] + offset[1]];
        paint::matrix(ctx, zoom, scene, item, &raci, pos, editing);
    }
    true
}
