//! The Webhooks dialog, for the board's owners: the board's webhooks (Slack, Microsoft Teams,
//! Mattermost or a generic JSON receiver, each with the events it gets), adding one, sending
//! one a test, removing one, and the log of the last 50 deliveries with their status, tries
//! and the receiver's answer. Everything goes through `/api/boards/{id}/webhooks`, which
//! checks that the caller is an owner and that the URL may be used; its errors are shown in
//! words.
//!
//! Ids the tests use: `#webhooks-button`, `#webhooks-dialog`, `#webhook-kind`, `#webhook-url`,
//! `input[name=webhook-event]`, `#webhook-add`, `.webhook[data-hook=ID]` with `[data-test]`
//! and `[data-delete]`, `#webhook-log` with `.delivery[data-status=...]`,
//! `#webhooks-refresh`, `#webhooks-message`, `#webhooks-close`.

mod view;

use std::rc::{Rc, Weak};

use serde::Deserialize;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Element, Event, HtmlElement, HtmlInputElement, HtmlSelectElement, KeyboardEvent};

use super::{Page, State};
use crate::dom::{self, Listener, child, typed};
use crate::http;

/// What `GET /api/boards/{id}/webhooks` answers.
#[derive(Debug, Deserialize)]
struct Webhooks {
    webhooks: Vec<Hook>,
    deliveries: Vec<Delivery>,
    events: Vec<Choice>,
    kinds: Vec<String>,
    allow_private: bool,
}

#[derive(Debug, Deserialize)]
struct Hook {
    id: String,
    kind: String,
    url: String,
    events: Vec<String>,
    secret: String,
}

#[derive(Debug, Deserialize)]
struct Delivery {
    webhook: String,
    event: String,
    summary: String,
    at: u64,
    status: String,
    attempts: u32,
    #[serde(default)]
    http_status: Option<u16>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    next_try: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct Choice {
    name: String,
    label: String,
}

/// Adds the Webhooks button to the header's `side` and the (hidden) dialog to the page.
pub fn install(page: &Page, side: &Element) -> Result<(), JsValue> {
    let s = page.borrow();
    let button = dom::element(
        &s.doc,
        "button",
        &[
            ("type", "button"),
            ("id", "webhooks-button"),
            (
                "title",
                "Send this board's events to Slack, Teams, Mattermost or your own receiver",
            ),
        ],
        Some("Webhooks"),
    )?;
    side.prepend_with_node_1(&button)?;
    let root = s.stage.parent_element().unwrap_or_else(|| s.stage.clone());
    let dialog: HtmlElement = typed(child(
        &root,
        "div",
        &[
            ("id", "webhooks-dialog"),
            ("class", "share-dialog webhooks-dialog"),
            ("role", "dialog"),
            ("aria-label", "Webhooks"),
            ("hidden", ""),
        ],
        None,
    )?)?;
    drop(s);
    let weak = Rc::downgrade(page);
    let d = dialog.clone();
    Listener::new(&button, "click", move |_| {
        if d.hidden() {
            d.set_hidden(false);
            d.set_text_content(Some("Loading…"));
            load(&weak, &d, None);
        } else {
            d.set_hidden(true);
        }
    })?
    .forever();
    let weak = Rc::downgrade(page);
    let d = dialog.clone();
    Listener::new(&dialog, "click", move |e: Event| clicked(&weak, &d, &e))?.forever();
    let d = dialog.clone();
    Listener::new(&dialog, "keydown", move |e: Event| {
        if e.dyn_ref::<KeyboardEvent>()
            .is_some_and(|k| k.key() == "Escape")
        {
            e.stop_propagation();
            d.set_hidden(true);
        }
    })?
    .forever();
    Ok(())
}

fn board_id(weak: &Weak<std::cell::RefCell<State>>) -> Option<String> {
    Some(weak.upgrade()?.try_borrow().ok()?.id.clone())
}

/// Fetches the webhooks and draws them, then says `message` (the outcome of an action).
fn load(weak: &Weak<std::cell::RefCell<State>>, dialog: &HtmlElement, message: Option<String>) {
    let Some(id) = board_id(weak) else {
        return;
    };
    let dialog = dialog.clone();
    spawn_local(async move {
        let url = format!("/api/boards/{id}/webhooks");
        match http::fetch_json::<Webhooks>(&url, &web_sys::RequestInit::new()).await {
            Ok(hooks) => {
                if let Err(err) = view::render(&dialog, &hooks) {
                    dom::log_error("could not draw the webhooks", &err);
                }
                if let Some(m) = message {
                    say(&dialog, &m);
                }
            }
            Err(err) => dialog.set_text_content(Some(&format!(
                "Could not load the webhooks: {}",
                err.as_string().unwrap_or_default()
            ))),
        }
    });
}

fn say(dialog: &HtmlElement, text: &str) {
    if let Ok(Some(message)) = dialog.query_selector("#webhooks-message") {
        message.set_text_content(Some(text));
    }
}

fn clicked(weak: &Weak<std::cell::RefCell<State>>, dialog: &HtmlElement, e: &Event) {
    let Some(button) = dom::button_of(e) else {
        return;
    };
    let Some(id) = board_id(weak) else {
        return;
    };
    let hook = button
        .closest(".webhook")
        .ok()
        .flatten()
        .and_then(|h| h.get_attribute("data-hook"));
    match (button.id().as_str(), hook) {
        ("webhooks-close", _) => dialog.set_hidden(true),
        ("webhooks-refresh", _) => load(weak, dialog, None),
        ("webhook-add", _) => add(weak, dialog, &id),
        (_, Some(hook)) if button.has_attribute("data-test") => call(
            weak,
            dialog,
            "POST",
            format!("/api/boards/{id}/webhooks/{hook}/test"),
            String::new(),
            "Test sent: its delivery is at the top of the log (Refresh to see its status).",
        ),
        (_, Some(hook)) if button.has_attribute("data-delete") => {
            let sure = dom::window()
                .and_then(|w| {
                    w.confirm_with_message("Remove this webhook? Its pending deliveries stop.")
                })
                .unwrap_or(false);
            if sure {
                call(
                    weak,
                    dialog,
                    "DELETE",
                    format!("/api/boards/{id}/webhooks/{hook}"),
                    String::new(),
                    "Removed.",
                );
            }
        }
        _ => {}
    }
}

/// The add form's values as the API's JSON.
fn add(weak: &Weak<std::cell::RefCell<State>>, dialog: &HtmlElement, id: &str) {
    let value = |sel: &str| -> Option<String> {
        let el = dialog.query_selector(sel).ok().flatten()?;
        match el.dyn_ref::<HtmlSelectElement>() {
            Some(s) => Some(s.value()),
            None => el.dyn_into::<HtmlInputElement>().ok().map(|i| i.value()),
        }
    };
    let (Some(kind), Some(url)) = (value("#webhook-kind"), value("#webhook-url")) else {
        return;
    };
    let mut events = Vec::new();
    if let Ok(boxes) = dialog.query_selector_all("input[name=webhook-event]") {
        for i in 0..boxes.length() {
            if let Some(b) = boxes
                .item(i)
                .and_then(|n| n.dyn_into::<HtmlInputElement>().ok())
                && b.checked()
            {
                events.push(b.value());
            }
        }
    }
    let body = serde_json::json!({ "kind": kind, "url": url.trim(), "events": events }).to_string();
    call(
        weak,
        dialog,
        "POST",
        format!("/api/boards/{id}/webhooks"),
        body,
        "Added. Send it a test to check that it works.",
    );
}

/// An API call; on success the dialog is drawn again and says `done`, else the error.
fn call(
    weak: &Weak<std::cell::RefCell<State>>,
    dialog: &HtmlElement,
    method: &'static str,
    path: String,
    body: String,
    done: &'static str,
) {
    let (weak, dialog) = (weak.clone(), dialog.clone());
    spawn_local(async move {
        let result = async {
            let init = http::request(method, "application/json", &body)?;
            http::fetch_text(&path, &init).await
        }
        .await;
        match result {
            Ok(_) => load(&weak, &dialog, Some(done.to_owned())),
            Err(err) => say(
                &dialog,
                &err.as_string().unwrap_or_else(|| format!("{err:?}")),
            ),
        }
    });
}
