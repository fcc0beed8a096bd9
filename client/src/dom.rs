//! Small helpers over `web-sys`: creating elements, listening to events, reporting errors.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, Event, EventTarget, Window};

/// An event listener that stays registered for as long as this value lives.
pub struct Listener {
    target: EventTarget,
    event: &'static str,
    closure: Closure<dyn FnMut(Event)>,
}

impl Listener {
    pub fn new(
        target: &EventTarget,
        event: &'static str,
        f: impl FnMut(Event) + 'static,
    ) -> Result<Listener, JsValue> {
        let closure = Closure::<dyn FnMut(Event)>::new(f);
        target.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref())?;
        Ok(Listener {
            target: target.clone(),
            event,
            closure,
        })
    }

    /// Keeps the listener for the rest of the page's life.
    pub fn forever(self) {
        std::mem::forget(self);
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self
            .target
            .remove_event_listener_with_callback(self.event, self.closure.as_ref().unchecked_ref());
    }
}

pub fn window() -> Result<Window, JsValue> {
    web_sys::window().ok_or_else(|| JsValue::from_str("no window"))
}

pub fn document() -> Result<Document, JsValue> {
    window()?
        .document()
        .ok_or_else(|| JsValue::from_str("no document"))
}

/// `<tag attr=value...>text</tag>`.
pub fn element(
    doc: &Document,
    tag: &str,
    attrs: &[(&str, &str)],
    text: Option<&str>,
) -> Result<Element, JsValue> {
    let el = doc.create_element(tag)?;
    for (name, value) in attrs {
        el.set_attribute(name, value)?;
    }
    if let Some(text) = text {
        el.set_text_content(Some(text));
    }
    Ok(el)
}

/// Creates `<tag attr=value...>text</tag>` as the last child of `parent`.
pub fn child(
    parent: &Element,
    tag: &str,
    attrs: &[(&str, &str)],
    text: Option<&str>,
) -> Result<Element, JsValue> {
    let doc = parent
        .owner_document()
        .ok_or_else(|| JsValue::from_str("element without a document"))?;
    let el = element(&doc, tag, attrs, text)?;
    parent.append_child(&el)?;
    Ok(el)
}

/// Typed `element`, for the `HtmlTextAreaElement`s and `HtmlInputElement`s we read back.
pub fn typed<T: JsCast>(el: Element) -> Result<T, JsValue> {
    el.dyn_into::<T>().map_err(|el| {
        JsValue::from_str(&format!(
            "<{}> is not the expected element type",
            el.tag_name()
        ))
    })
}

/// Logs an error on the browser console.
pub fn log_error(context: &str, err: &JsValue) {
    web_sys::console::error_2(&JsValue::from_str(context), err);
}

/// A Rust error as a JavaScript value, for `Result<_, JsValue>` code.
pub fn js_error(err: impl std::fmt::Display) -> JsValue {
    JsValue::from_str(&err.to_string())
}

/// Adds a `performance.mark(name)` (shown in DevTools' timeline; the client benchmark reads
/// them to break the load time down). Does nothing where there is no `performance`.
pub fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark(name);
    }
}

/// The button an event happened in (the event's target or its closest `button` ancestor):
/// for one listener that serves a group of buttons.
pub fn button_of(event: &web_sys::Event) -> Option<Element> {
    event
        .target()
        .and_then(|t| t.dyn_into::<Element>().ok())
        .and_then(|el| el.closest("button").ok().flatten())
}
