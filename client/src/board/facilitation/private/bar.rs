//! The private-writing bar (shown and hidden through its inline style: the page's style sheet
//! is not this module's): while private writing is on, a line at the top left of the board
//! says that new notes are the person's alone (and how many they hold); the facilitator gets
//! an "End private writing" button there. After the end, notes the page still holds (written
//! offline, waiting to be published) are counted there too, so nobody thinks them lost.

use huddle_shared::facilitation::Command;
use wasm_bindgen::prelude::*;
use web_sys::Element;

use crate::board::State;
use crate::board::facilitation::{facilitates, send};
use crate::dom::{self, Listener};

/// Inline style of the bar: below the timer badge (top left), above the canvas.
const STYLE: &str = "position:absolute;top:3rem;left:0.75rem;z-index:12;gap:0.5rem;\
    align-items:center;padding:0.3rem 0.7rem;border-radius:8px;background:#fff8e1;\
    border:1px dashed #495057;box-shadow:0 2px 8px rgba(0,0,0,0.12);font-size:0.9rem;\
    max-width:min(30rem,80vw)";

/// The bar's elements, built on first use.
pub struct Bar {
    el: Element,
    text: Element,
    end: Element,
    _click: Listener,
}

fn build(s: &State) -> Result<Bar, JsValue> {
    let el = dom::child(
        &s.stage,
        "div",
        &[
            ("class", "private-bar"),
            ("role", "status"),
            ("style", "display:none"),
        ],
        None,
    )?;
    let text = dom::child(&el, "span", &[("class", "private-bar-text")], None)?;
    let end = dom::child(
        &el,
        "button",
        &[("type", "button"), ("class", "private-end")],
        Some("End private writing"),
    )?;
    let weak = s.page().map(|p| std::rc::Rc::downgrade(&p));
    let click = Listener::new(&end, "click", move |_| {
        if let Some(page) = weak.as_ref().and_then(|w| w.upgrade())
            && let Ok(mut s) = page.try_borrow_mut()
        {
            send(&mut s, Command::PrivateEnd);
        }
    })?;
    Ok(Bar {
        el,
        text,
        end,
        _click: click,
    })
}

/// Shows what the bar should say now (or hides it).
pub fn render(s: &mut State) {
    if s.features.facilitation.private.bar.is_none() {
        match build(s) {
            Ok(bar) => s.features.facilitation.private.bar = Some(bar),
            Err(err) => return dom::log_error("could not build the private-writing bar", &err),
        }
    }
    let on = super::on(s);
    let held = s.features.facilitation.private.notes.len();
    let text = match (on, held) {
        (true, 0) => "Private writing: new notes (N) are yours alone until it ends".to_owned(),
        (true, 1) => "Private writing: 1 note only you see, until it ends".to_owned(),
        (true, n) => format!("Private writing: {n} notes only you see, until it ends"),
        (false, 0) => String::new(),
        (false, 1) => "1 private note waits to be published (when online)".to_owned(),
        (false, n) => format!("{n} private notes wait to be published (when online)"),
    };
    let show_end = on && facilitates(s);
    let Some(bar) = &s.features.facilitation.private.bar else {
        return;
    };
    if bar.text.text_content().as_deref() != Some(text.as_str()) {
        bar.text.set_text_content(Some(&text));
    }
    let display = if text.is_empty() { "none" } else { "flex" };
    let style = format!("{STYLE};display:{display}");
    if bar.el.get_attribute("style").as_deref() != Some(style.as_str()) {
        let _ = bar.el.set_attribute("style", &style);
    }
    let _ = bar.end.toggle_attribute_with_force("hidden", !show_end);
}
