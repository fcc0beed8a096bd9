//! The story-map filter bar: show only the stories with a tag, of a type, or for a persona.
//! It is this viewer's view, like collapsing a slice: nothing is written to the document, so
//! one person's focus does not change anyone else's map. Shown while the board has a map.
//!
//! Ids the tests use: `#map-filter`, `#filter-tag`, `#filter-type`, `#filter-persona`,
//! `#filter-clear`.

use huddle_shared::model::StoryType;
use huddle_shared::storymap::Filter;
use wasm_bindgen::prelude::*;
use web_sys::{Element, Event, HtmlElement, HtmlInputElement, HtmlSelectElement};

use super::Page;
use crate::dom::{Listener, child, typed};

/// The bar's elements.
#[derive(Clone)]
pub struct Bar {
    root: HtmlElement,
    tag: HtmlInputElement,
    story_type: HtmlSelectElement,
    persona: HtmlInputElement,
}

impl Bar {
    /// Reads the controls into a filter (empty fields filter nothing).
    fn filter(&self) -> Filter {
        let text = |value: String| {
            let value = value.trim().trim_start_matches('#').trim().to_owned();
            (!value.is_empty()).then_some(value)
        };
        Filter {
            tag: text(self.tag.value()),
            story_type: StoryType::parse(&self.story_type.value()),
            persona: text(self.persona.value()),
        }
    }

    pub fn set_visible(&self, on: bool) {
        if self.root.hidden() == on {
            self.root.set_hidden(!on);
        }
    }
}

/// Builds the (hidden) bar into `stage`; every change calls `apply` with the new filter.
pub fn install(
    page: &Page,
    stage: &Element,
    apply: impl Fn(&Page, Filter) + 'static,
) -> Result<Bar, JsValue> {
    let root: HtmlElement = typed(child(
        stage,
        "form",
        &[
            ("id", "map-filter"),
            ("class", "map-filter"),
            ("role", "search"),
            ("aria-label", "Filter the story map"),
            ("hidden", ""),
        ],
        None,
    )?)?;
    child(
        &root,
        "span",
        &[("class", "map-filter-label")],
        Some("Filter map"),
    )?;
    let tag: HtmlInputElement = typed(child(
        &root,
        "input",
        &[
            ("id", "filter-tag"),
            ("type", "search"),
            ("placeholder", "#tag"),
            ("aria-label", "Tag"),
            ("size", "10"),
        ],
        None,
    )?)?;
    let story_type: HtmlSelectElement = typed(child(
        &root,
        "select",
        &[("id", "filter-type"), ("aria-label", "Type")],
        None,
    )?)?;
    child(&story_type, "option", &[("value", "")], Some("Any type"))?;
    for t in StoryType::ALL {
        child(
            &story_type,
            "option",
            &[("value", t.name())],
            Some(t.label()),
        )?;
    }
    let persona: HtmlInputElement = typed(child(
        &root,
        "input",
        &[
            ("id", "filter-persona"),
            ("type", "search"),
            ("placeholder", "persona"),
            ("aria-label", "Persona"),
            ("size", "10"),
        ],
        None,
    )?)?;
    let clear = child(
        &root,
        "button",
        &[
            ("id", "filter-clear"),
            ("type", "button"),
            ("title", "Show every story"),
        ],
        Some("Clear"),
    )?;
    let bar = Bar {
        root: root.clone(),
        tag,
        story_type,
        persona,
    };
    let apply = std::rc::Rc::new(apply);
    let weak = std::rc::Rc::downgrade(page);
    // Text fields report every keystroke (`input`); a select reports a pick (`change`, and
    // `input` in most browsers): applying the same filter twice changes nothing.
    for event in ["input", "change"] {
        let (read, on_input, weak_input) = (bar.clone(), apply.clone(), weak.clone());
        Listener::new(&root, event, move |_| {
            if let Some(page) = weak_input.upgrade() {
                on_input(&page, read.filter());
            }
        })?
        .forever();
    }
    Listener::new(&root, "submit", |e: Event| e.prevent_default())?.forever();
    let controls = bar.clone();
    Listener::new(&clear, "click", move |_| {
        controls.tag.set_value("");
        controls.story_type.set_value("");
        controls.persona.set_value("");
        if let Some(page) = weak.upgrade() {
            apply(&page, Filter::default());
        }
    })?
    .forever();
    Ok(bar)
}
