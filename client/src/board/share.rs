//! The Share dialog, for the board's owners (and the admin): its three share links (copy,
//! rotate), the people with a role on it (change, remove), renaming and deleting the board.
//! Everything goes through the server's API (`/api/boards/{id}/access`, `.../links/{role}/
//! rotate`, `.../people/{person}`, `PATCH` and `DELETE /api/boards/{id}`), which checks that
//! the caller is an owner; the dialog shows what it answers, and its errors in words.
//!
//! Ids and attributes the tests use: `#share-button`, `#share-dialog`, `#share-link-editor`,
//! `#share-link-commenter`, `#share-link-viewer` (inputs), `[data-copy=ROLE]`,
//! `[data-rotate=ROLE]`, `.share-person[data-person=ID]` with its `select` and
//! `[data-remove]`, `#share-title` and `#share-rename`, `#share-delete`, `#share-message`,
//! `#share-close`.

use std::rc::{Rc, Weak};

use huddle_shared::access::Role;
use serde::Deserialize;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Element, Event, HtmlElement, HtmlInputElement, HtmlSelectElement, KeyboardEvent};

use super::{Page, State};
use crate::dom::{self, Listener, child, log_error, typed};
use crate::http;

/// What `GET /api/boards/{id}/access` answers.
#[derive(Debug, Deserialize)]
struct Access {
    links: Links,
    people: Vec<Person>,
}

#[derive(Debug, Deserialize)]
struct Links {
    editor: String,
    commenter: String,
    viewer: String,
}

#[derive(Debug, Deserialize)]
struct Person {
    id: String,
    name: String,
    color: String,
    role: Option<Role>,
    you: bool,
}

impl Links {
    fn path(&self, role: Role) -> &str {
        match role {
            Role::Editor => &self.editor,
            Role::Commenter => &self.commenter,
            _ => &self.viewer,
        }
    }
}

/// Adds the Share button to the header's `side` and the (hidden) dialog to the page.
pub fn install(page: &Page, side: &Element) -> Result<(), JsValue> {
    let s = page.borrow();
    let button = dom::element(
        &s.doc,
        "button",
        &[
            ("type", "button"),
            ("id", "share-button"),
            ("title", "Share this board"),
        ],
        Some("Share"),
    )?;
    side.prepend_with_node_1(&button)?;
    let root = s.stage.parent_element().unwrap_or_else(|| s.stage.clone());
    let dialog: HtmlElement = typed(child(
        &root,
        "div",
        &[
            ("id", "share-dialog"),
            ("class", "share-dialog"),
            ("role", "dialog"),
            ("aria-label", "Share this board"),
            ("hidden", ""),
        ],
        None,
    )?)?;
    drop(s);

    let weak = Rc::downgrade(page);
    let d = dialog.clone();
    Listener::new(&button, "click", move |_| {
        if d.hidden() {
            open(&weak, &d);
        } else {
            d.set_hidden(true);
        }
    })?
    .forever();
    let weak = Rc::downgrade(page);
    let d = dialog.clone();
    Listener::new(&dialog, "click", move |e: Event| clicked(&weak, &d, &e))?.forever();
    let weak = Rc::downgrade(page);
    let d = dialog.clone();
    Listener::new(&dialog, "change", move |e: Event| changed(&weak, &d, &e))?.forever();
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

/// Opens the dialog and fills it from the server.
fn open(weak: &Weak<std::cell::RefCell<State>>, dialog: &HtmlElement) {
    let Some(id) = board_id(weak) else {
        return;
    };
    dialog.set_hidden(false);
    dialog.set_text_content(Some("Loading…"));
    let dialog = dialog.clone();
    spawn_local(async move {
        let url = format!("/api/boards/{id}/access");
        match http::fetch_json::<Access>(&url, &web_sys::RequestInit::new()).await {
            Ok(access) => show(&dialog, &id, &access),
            Err(err) => dialog.set_text_content(Some(&format!(
                "Could not load the board's sharing: {}",
                err.as_string().unwrap_or_default()
            ))),
        }
    });
}

/// Draws the dialog's content for `access`.
fn show(dialog: &HtmlElement, id: &str, access: &Access) {
    if let Err(err) = render(dialog, id, access) {
        log_error("could not draw the share dialog", &err);
    }
}

fn render(dialog: &HtmlElement, id: &str, access: &Access) -> Result<(), JsValue> {
    dialog.set_text_content(None);
    let origin = dom::window()?.location().origin()?;
    child(dialog, "h2", &[], Some("Share this board"))?;
    child(
        dialog,
        "button",
        &[
            ("type", "button"),
            ("id", "share-close"),
            ("class", "close"),
            ("aria-label", "Close"),
        ],
        Some("×"),
    )?;
    let intro = "Anyone who opens a link gets its role on this board, and keeps it.";
    child(dialog, "p", &[("class", "hint")], Some(intro))?;
    for (role, label) in [
        (Role::Editor, "Can edit"),
        (Role::Commenter, "Can comment (view only for now)"),
        (Role::Viewer, "Can view"),
    ] {
        let row = child(dialog, "div", &[("class", "share-link")], None)?;
        let input_id = format!("share-link-{}", role.name());
        child(&row, "label", &[("for", &input_id)], Some(label))?;
        let url = format!("{origin}{}", access.links.path(role));
        child(
            &row,
            "input",
            &[
                ("id", &input_id),
                ("readonly", ""),
                ("value", &url),
                ("size", "40"),
            ],
            None,
        )?;
        let attrs = [("type", "button"), ("data-copy", role.name())];
        child(&row, "button", &attrs, Some("Copy"))?;
        let title = "A new link: the old one stops working for anyone who has not opened it yet";
        let attrs = [
            ("type", "button"),
            ("data-rotate", role.name()),
            ("title", title),
        ];
        child(&row, "button", &attrs, Some("New link"))?;
    }
    child(dialog, "h3", &[], Some("People"))?;
    let list = child(dialog, "ul", &[("id", "share-people")], None)?;
    for person in &access.people {
        let li = child(
            &list,
            "li",
            &[("class", "share-person"), ("data-person", &person.id)],
            None,
        )?;
        let dot = format!("background:{}", person.color);
        child(&li, "span", &[("class", "dot"), ("style", &dot)], None)?;
        let name = if person.you {
            format!("{} (you)", person.name)
        } else {
            person.name.clone()
        };
        child(&li, "span", &[("class", "name")], Some(&name))?;
        let select: HtmlSelectElement = typed(child(
            &li,
            "select",
            &[("aria-label", &format!("Role of {}", person.name))],
            None,
        )?)?;
        if person.role.is_none() {
            child(
                &select,
                "option",
                &[("value", ""), ("selected", "")],
                Some("removed"),
            )?;
        }
        for role in Role::ALL.iter().rev() {
            let mut attrs = vec![("value", role.name())];
            if person.role == Some(*role) {
                attrs.push(("selected", ""));
            }
            child(&select, "option", &attrs, Some(role.name()))?;
        }
        if person.role.is_some() {
            child(
                &li,
                "button",
                &[("type", "button"), ("data-remove", "")],
                Some("Remove"),
            )?;
        }
    }
    child(dialog, "h3", &[], Some("Board"))?;
    let rename = child(dialog, "div", &[("class", "share-rename")], None)?;
    let title = crate::offline::recent_boards()
        .into_iter()
        .find(|b| b.id == id)
        .map(|b| b.title)
        .unwrap_or_default();
    child(
        &rename,
        "input",
        &[
            ("id", "share-title"),
            ("maxlength", "200"),
            ("value", &title),
            ("aria-label", "Title"),
        ],
        None,
    )?;
    child(
        &rename,
        "button",
        &[("type", "button"), ("id", "share-rename")],
        Some("Rename"),
    )?;
    child(
        &rename,
        "button",
        &[
            ("type", "button"),
            ("id", "share-delete"),
            ("class", "danger"),
        ],
        Some("Delete board…"),
    )?;
    child(
        dialog,
        "p",
        &[("id", "share-message"), ("role", "status")],
        None,
    )?;
    Ok(())
}

fn say(dialog: &HtmlElement, text: &str) {
    if let Ok(Some(message)) = dialog.query_selector("#share-message") {
        message.set_text_content(Some(text));
    }
}

fn confirm(text: &str) -> bool {
    dom::window()
        .and_then(|w| w.confirm_with_message(text))
        .unwrap_or(false)
}

/// A call to the sharing API; on success the dialog shows the new access.
fn call(dialog: &HtmlElement, id: String, method: &'static str, path: String, body: String) {
    let dialog = dialog.clone();
    spawn_local(async move {
        let result = async {
            let init = http::request(method, "application/json", &body)?;
            http::fetch_json::<Access>(&path, &init).await
        }
        .await;
        match result {
            Ok(access) => {
                show(&dialog, &id, &access);
                say(&dialog, "Done.");
            }
            Err(err) => say(
                &dialog,
                &err.as_string().unwrap_or_else(|| format!("{err:?}")),
            ),
        }
    });
}

fn clicked(weak: &Weak<std::cell::RefCell<State>>, dialog: &HtmlElement, e: &Event) {
    let Some(button) = crate::dom::button_of(e) else {
        return;
    };
    let Some(id) = board_id(weak) else {
        return;
    };
    if button.id() == "share-close" {
        dialog.set_hidden(true);
    } else if let Some(role) = button.get_attribute("data-copy") {
        copy_link(dialog, &role);
    } else if let Some(role) = button.get_attribute("data-rotate") {
        let question = format!(
            "Make a new {role} link? The current one stops working: people who have not opened \
             it yet will not get in (people who have keep their role)."
        );
        if confirm(&question) {
            let path = format!("/api/boards/{id}/links/{role}/rotate");
            call(dialog, id, "POST", path, String::new());
        }
    } else if button.has_attribute("data-remove") {
        if let Some(person) = person_of(&button) {
            let path = format!("/api/boards/{id}/people/{person}");
            call(dialog, id, "DELETE", path, String::new());
        }
    } else if button.id() == "share-rename" {
        rename(dialog, id);
    } else if button.id() == "share-delete"
        && confirm("Delete this board for everyone? This cannot be undone.")
    {
        delete(dialog, id);
    }
}

fn changed(weak: &Weak<std::cell::RefCell<State>>, dialog: &HtmlElement, e: &Event) {
    let Some(select) = e
        .target()
        .and_then(|t| t.dyn_into::<HtmlSelectElement>().ok())
    else {
        return;
    };
    let (Some(id), Some(person)) = (board_id(weak), person_of(&select)) else {
        return;
    };
    let role = select.value();
    if role.is_empty() {
        return;
    }
    let path = format!("/api/boards/{id}/people/{person}");
    let body = serde_json::json!({ "role": role }).to_string();
    call(dialog, id, "PUT", path, body);
}

/// The person id of the row an element is in.
fn person_of(el: &Element) -> Option<String> {
    el.closest(".share-person")
        .ok()
        .flatten()?
        .get_attribute("data-person")
}

fn copy_link(dialog: &HtmlElement, role: &str) {
    let Ok(Some(input)) = dialog.query_selector(&format!("#share-link-{role}")) else {
        return;
    };
    let Ok(input) = input.dyn_into::<HtmlInputElement>() else {
        return;
    };
    input.select();
    let text = input.value();
    let copied = dom::window().map(|w| w.navigator().clipboard().write_text(&text));
    let dialog = dialog.clone();
    spawn_local(async move {
        let ok = match copied {
            Ok(promise) => wasm_bindgen_futures::JsFuture::from(promise).await.is_ok(),
            Err(_) => false,
        };
        let text = if ok {
            "Link copied."
        } else {
            "Press Ctrl+C to copy the selected link."
        };
        say(&dialog, text);
    });
}

fn rename(dialog: &HtmlElement, id: String) {
    let Some(title) = dialog
        .query_selector("#share-title")
        .ok()
        .flatten()
        .and_then(|i| i.dyn_into::<HtmlInputElement>().ok())
        .map(|i| i.value())
    else {
        return;
    };
    let dialog = dialog.clone();
    spawn_local(async move {
        let result = async {
            let body = serde_json::json!({ "title": title }).to_string();
            let init = http::request("PATCH", "application/json", &body)?;
            http::fetch_text(&format!("/api/boards/{id}"), &init).await
        }
        .await;
        match result {
            Ok(_) => say(&dialog, "Renamed."),
            Err(err) => say(&dialog, &err.as_string().unwrap_or_default()),
        }
    });
}

fn delete(dialog: &HtmlElement, id: String) {
    let dialog = dialog.clone();
    spawn_local(async move {
        let result = async {
            let init = http::request("DELETE", "application/json", "")?;
            http::fetch_text(&format!("/api/boards/{id}"), &init).await?;
            dom::window()?.location().set_href("/")
        }
        .await;
        if let Err(err) = result {
            say(&dialog, &err.as_string().unwrap_or_default());
        }
    });
}
