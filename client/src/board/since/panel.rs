//! The "Since you last looked" panel (`#since-panel`): who changed what while you were
//! away, one row per item (`li[data-item][data-kinds]`; a click centres it), "Next change"
//! (`[data-since=next]`, or `.`; `,` goes back) and "Mark all seen" (`[data-since=seen]`).
//! Shown when the board opens with something to list; closing it (×) keeps the outlines
//! until the changes are marked seen. Its look is `.since-panel` in style.css.

use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, Event};

use crate::board::Page;
use crate::dom::{Listener, button_of, child};

/// One row as the panel shows it.
pub struct Line {
    pub item: String,
    /// The change kinds, space-separated (`created`, `edited moved`, ...).
    pub kinds: String,
    pub text: String,
    /// Its item is on the canvas (a deleted one is listed greyed, and cannot be centred).
    pub on_canvas: bool,
    /// "Next change" centred it last.
    pub current: bool,
}

pub struct Panel {
    el: Element,
    when: Element,
    list: Element,
    error: Element,
}

impl Panel {
    pub fn build(page: &Page, stage: &Element) -> Result<Panel, JsValue> {
        let el = child(
            stage,
            "aside",
            &[
                ("id", "since-panel"),
                ("class", "rounds-panel since-panel"),
                ("aria-label", "Since you last looked"),
                ("hidden", ""),
            ],
            None,
        )?;
        let head = child(&el, "div", &[("class", "story-head")], None)?;
        child(&head, "h2", &[], Some("Since you last looked"))?;
        child(
            &head,
            "button",
            &[
                ("type", "button"),
                ("data-since", "close"),
                (
                    "title",
                    "Close (the changes stay outlined until marked seen)",
                ),
                ("aria-label", "Close the list of changes"),
            ],
            Some("×"),
        )?;
        let when = child(&el, "p", &[("class", "muted")], None)?;
        let list = child(
            &el,
            "ol",
            &[("id", "since-list"), ("class", "since-list")],
            None,
        )?;
        let error = child(&el, "p", &[("class", "since-error"), ("hidden", "")], None)?;
        let actions = child(&el, "div", &[("class", "result-actions")], None)?;
        child(
            &actions,
            "button",
            &[
                ("type", "button"),
                ("data-since", "next"),
                ("title", "Centre the next change (.; previous: ,)"),
            ],
            Some("Next change"),
        )?;
        child(
            &actions,
            "button",
            &[
                ("type", "button"),
                ("data-since", "seen"),
                (
                    "title",
                    "Clear the list and the outlines, here and on your other devices",
                ),
            ],
            Some("Mark all seen"),
        )?;
        let weak = Rc::downgrade(page);
        Listener::new(&el, "click", move |event: Event| {
            let Some(page) = weak.upgrade() else { return };
            if let Some(button) = button_of(&event) {
                match button.get_attribute("data-since").as_deref() {
                    Some("next") => super::step(&mut page.borrow_mut(), true),
                    Some("seen") => super::mark_seen(&page),
                    Some("close") => {
                        if let Some(p) = &page.borrow().features.since.panel {
                            let _ = p.el.set_attribute("hidden", "");
                        }
                    }
                    _ => {}
                }
                return;
            }
            let row = event
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .and_then(|el| el.closest("li[data-index]").ok().flatten());
            if let Some(i) = row
                .and_then(|r| r.get_attribute("data-index"))
                .and_then(|i| i.parse().ok())
            {
                super::centre(&mut page.borrow_mut(), i);
            }
        })?
        .forever();
        Ok(Panel {
            el,
            when,
            list,
            error,
        })
    }

    /// Lists `lines` (hidden when there are none). `report`: when the person last looked
    /// (ms), and whether older changes were dropped by the server.
    pub fn show(&self, report: Option<(Option<u64>, bool)>, lines: &[Line]) {
        self.list.set_inner_html("");
        let _ = self.error.set_attribute("hidden", "");
        if lines.is_empty() {
            let _ = self.el.set_attribute("hidden", "");
            return;
        }
        let _ = self.el.remove_attribute("hidden");
        let (since, truncated) = report.unwrap_or((None, false));
        let mut when = match since {
            Some(ms) => {
                let date = js_sys::Date::new(&JsValue::from_f64(ms as f64));
                let shown: String = date.to_locale_string("default", &JsValue::UNDEFINED).into();
                format!("Changes by others since {shown}.")
            }
            None => "Changes by others.".to_owned(),
        };
        if truncated {
            when.push_str(" Older changes are no longer kept; this list is incomplete.");
        }
        self.when.set_text_content(Some(&when));
        for (i, line) in lines.iter().enumerate() {
            let index = i.to_string();
            let mut class = String::from("since-row");
            if !line.on_canvas {
                class.push_str(" gone");
            }
            if line.current {
                class.push_str(" current");
            }
            let mut attrs = vec![
                ("data-index", index.as_str()),
                ("data-item", line.item.as_str()),
                ("data-kinds", line.kinds.as_str()),
                ("class", class.as_str()),
            ];
            if line.current {
                attrs.push(("aria-current", "true"));
            }
            let _ = child(&self.list, "li", &attrs, Some(&line.text));
        }
    }

    /// Says why marking seen failed (the list stays).
    pub fn error(&self, message: &str) {
        self.error.set_text_content(Some(message));
        let _ = self.error.remove_attribute("hidden");
    }
}
