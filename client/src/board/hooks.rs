//! `window.huddle`: read-only hooks for the end-to-end tests and the benchmarks (plus
//! `setCamera`, for benchmarks only). Each is cheap and reads the page's state when called.
//!
//! - `snapshot()`: the board as `BoardSnapshot` JSON (read from the document, not the cache)
//! - `worldToClient(x, y)` / `clientToWorld(cx, cy)`: `[x, y]`, client = CSS px in the page
//! - `camera()`: `{x, y, zoom}` (the page's `Viewport`: world point at the canvas centre)
//! - `selection()`: `[ids]`; `editing()`: id or `null`
//! - `role()`: the person's role here (`owner`, `editor`, `commenter`, `viewer`); `me()`:
//!   `{id, name, color}`, the person as the server named them
//! - `peers()`: `[{clientId, name, color, cursor: [x, y] | null, selection: [ids],
//!   dragging: [ids]}]`
//! - `frames()`: `{count, firstCompleteAt, firstCompleteItems, times}` (see [`super::stats`])
//! - `storyMaps()`: every story map (`StoryMap` JSON: activities, steps, cells, releases,
//!   totals) with `screen`: its layout in client coordinates (see [`super::storymap::hooks`])
//! - `setCamera(x, y, zoom)`: shows world point `(x, y)` at the centre at `zoom`
//! - `since()`: `{outlined: [item id], current: item id | null, listed: n}` ("since you
//!   last looked": the changed items outlined, the one centred last, the rows listed);
//! - `rounds()`: `{open: [RoundView], active, story, results: {id: RoundResult},
//!   decisions: [Decision], votes: {item: dots}, dissented: [notes marked for dissent]}`
//!   (see [`super::rounds`])
//! - `facilitation()`: `{public: Public, locks, facilitates, offsetMs, clockKnown,
//!   timerLeftMs, balance: {since, people} | null, pending}` (see [`super::facilitation`])
//! - `setStoryFilter({tag, type, persona})`: the story-map filter (for the filter bar's tests)

use std::rc::{Rc, Weak};

use huddle_shared::yrs::Transact;
use js_sys::{Object, Reflect};
use serde_json::json;
use wasm_bindgen::prelude::*;

use super::camera::Camera;
use super::{Page, State};
use crate::dom;
use crate::presence::Viewport;

fn to_js(value: &serde_json::Value) -> JsValue {
    js_sys::JSON::parse(&value.to_string()).unwrap_or(JsValue::NULL)
}

fn read(weak: &Weak<std::cell::RefCell<State>>, f: impl FnOnce(&State) -> JsValue) -> JsValue {
    match weak.upgrade() {
        Some(page) => match page.try_borrow() {
            Ok(s) => f(&s),
            Err(_) => JsValue::NULL,
        },
        None => JsValue::NULL,
    }
}

fn set(target: &Object, name: &str, f: JsValue) -> Result<(), JsValue> {
    Reflect::set(target, &JsValue::from_str(name), &f).map(drop)
}

pub fn install(page: &Page) -> Result<(), JsValue> {
    let hooks = Object::new();
    let w = Rc::downgrade(page);
    let f = Closure::<dyn Fn() -> JsValue>::new(move || {
        read(&w, |s| {
            let snapshot = s.board.snapshot(&s.board.doc().transact());
            serde_json::to_string(&snapshot)
                .ok()
                .and_then(|j| js_sys::JSON::parse(&j).ok())
                .unwrap_or(JsValue::NULL)
        })
    });
    set(&hooks, "snapshot", f.into_js_value())?;

    let w = Rc::downgrade(page);
    let f = Closure::<dyn Fn(f64, f64) -> JsValue>::new(move |x, y| {
        read(&w, |s| {
            let [sx, sy] = s.view.camera.to_screen([x, y]);
            to_js(&json!([sx + s.view.canvas_at[0], sy + s.view.canvas_at[1]]))
        })
    });
    set(&hooks, "worldToClient", f.into_js_value())?;

    let w = Rc::downgrade(page);
    let f = Closure::<dyn Fn(f64, f64) -> JsValue>::new(move |cx, cy| {
        read(&w, |s| {
            let p = s
                .view
                .camera
                .to_world([cx - s.view.canvas_at[0], cy - s.view.canvas_at[1]]);
            to_js(&json!(p))
        })
    });
    set(&hooks, "clientToWorld", f.into_js_value())?;

    let w = Rc::downgrade(page);
    let f = Closure::<dyn Fn() -> JsValue>::new(move || {
        read(&w, |s| {
            let v = s.view.camera.viewport(s.view.size);
            to_js(&json!({"x": v.x, "y": v.y, "zoom": v.zoom}))
        })
    });
    set(&hooks, "camera", f.into_js_value())?;

    let w = Rc::downgrade(page);
    let f = Closure::<dyn Fn() -> JsValue>::new(move || {
        read(&w, |s| {
            to_js(&json!(s.selection.ids.iter().collect::<Vec<_>>()))
        })
    });
    set(&hooks, "selection", f.into_js_value())?;

    let w = Rc::downgrade(page);
    let f = Closure::<dyn Fn() -> JsValue>::new(move || {
        read(&w, |s| to_js(&super::rounds::hook_json(s)))
    });
    set(&hooks, "rounds", f.into_js_value())?;

    let w = Rc::downgrade(page);
    let f = Closure::<dyn Fn() -> JsValue>::new(move || {
        read(&w, |s| to_js(&super::facilitation::hook_json(s)))
    });
    set(&hooks, "facilitation", f.into_js_value())?;

    let w = Rc::downgrade(page);
    let f = Closure::<dyn Fn() -> JsValue>::new(move || {
        read(&w, |s| to_js(&super::locks::hook_json(s)))
    });
    set(&hooks, "locks", f.into_js_value())?;

    let w = Rc::downgrade(page);
    let f = Closure::<dyn Fn() -> JsValue>::new(move || {
        read(&w, |s| to_js(&super::since::hook_json(s)))
    });
    set(&hooks, "since", f.into_js_value())?;

    let w = Rc::downgrade(page);
    let f = Closure::<dyn Fn() -> JsValue>::new(move || {
        read(&w, |s| JsValue::from_str(s.session.role.name()))
    });
    set(&hooks, "role", f.into_js_value())?;

    let w = Rc::downgrade(page);
    let f = Closure::<dyn Fn() -> JsValue>::new(move || {
        read(&w, |s| to_js(&super::comments::hook_json(s)))
    });
    set(&hooks, "comments", f.into_js_value())?;

    let w = Rc::downgrade(page);
    let f = Closure::<dyn Fn() -> JsValue>::new(move || {
        read(&w, |s| {
            to_js(
                &json!({"id": s.session.guest.id, "name": s.session.guest.name, "color": s.session.guest.color}),
            )
        })
    });
    set(&hooks, "me", f.into_js_value())?;

    let w = Rc::downgrade(page);
    let f = Closure::<dyn Fn() -> JsValue>::new(move || {
        read(&w, |s| match &s.editor {
            Some(e) => JsValue::from_str(&e.id),
            None => JsValue::NULL,
        })
    });
    set(&hooks, "editing", f.into_js_value())?;

    let w = Rc::downgrade(page);
    let f = Closure::<dyn Fn() -> JsValue>::new(move || {
        read(&w, |s| {
            let peers = s
                .session
                .presence
                .as_ref()
                .map(|p| p.peers())
                .unwrap_or_default();
            let list: Vec<serde_json::Value> = peers.iter().map(|p| p.to_hook_json()).collect();
            to_js(&serde_json::Value::Array(list))
        })
    });
    set(&hooks, "peers", f.into_js_value())?;

    let w = Rc::downgrade(page);
    let f = Closure::<dyn Fn() -> JsValue>::new(move || {
        read(&w, |s| {
            let times: Vec<f64> = s.stats.times.iter().copied().collect();
            to_js(&json!({
                "count": s.stats.count,
                "firstCompleteAt": s.stats.first_complete_at,
                "firstCompleteItems": s.stats.first_complete_items,
                "times": times,
            }))
        })
    });
    set(&hooks, "frames", f.into_js_value())?;

    let w = Rc::downgrade(page);
    let f = Closure::<dyn Fn() -> JsValue>::new(move || {
        read(&w, |s| to_js(&super::storymap::hooks::story_maps(s)))
    });
    set(&hooks, "storyMaps", f.into_js_value())?;

    let w = Rc::downgrade(page);
    let f = Closure::<dyn Fn(JsValue)>::new(move |filter: JsValue| {
        let json = js_sys::JSON::stringify(&filter)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default();
        if let Some(page) = w.upgrade()
            && let Ok(mut s) = page.try_borrow_mut()
        {
            s.set_filter(super::storymap::hooks::parse_filter(&json));
        }
    });
    set(&hooks, "setStoryFilter", f.into_js_value())?;

    let w = Rc::downgrade(page);
    let f = Closure::<dyn Fn(f64, f64, f64)>::new(move |x, y, zoom| {
        if let Some(page) = w.upgrade()
            && let Ok(mut s) = page.try_borrow_mut()
        {
            s.view.camera = Camera::from_viewport(Viewport { x, y, zoom }, s.view.size);
            s.camera_moved();
        }
    });
    set(&hooks, "setCamera", f.into_js_value())?;

    Reflect::set(&dom::window()?.into(), &JsValue::from_str("huddle"), &hooks)?;
    Ok(())
}
