//! The board menu's pictures and minutes: PNG (1x, 2x), SVG and PDF of the board, PNG and SVG
//! of the current frame or of the selection, and the minutes (Markdown, PDF).
//!
//! Pictures are drawn by the server (`GET /api/boards/{id}/export?format=...`), which sets
//! text in its embedded font, so a picture is the same whoever downloads it and a script gets
//! the same file; the page only names what to draw. The current frame is the selected frame,
//! else the frame under the middle of the view. A refusal (a picture too large, minutes asked
//! by someone who is neither facilitator nor owner) is shown in the menu's message, in the
//! server's words.
//!
//! Ids the tests use: `[data-picture=board-png|board-png2|board-svg|board-pdf|frame-png|
//! frame-png2|frame-svg|selection-png|selection-png2|selection-svg|minutes|minutes-pdf]`.

use std::rc::Rc;

use huddle_shared::model::ItemKind;
use huddle_shared::yrs::Transact;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{Element, Event, HtmlAnchorElement, HtmlElement, Response, Url};

use super::{Page, State};
use crate::dom::{self, Listener, child, typed};

/// What a menu entry draws.
#[derive(Clone, Copy)]
enum Scope {
    Board,
    Frame,
    Selection,
}

/// Menu entries: `data-picture`, label, scope, `format=`, scale.
const ENTRIES: [(&str, &str, Scope, &str, u8); 12] = [
    (
        "board-png",
        "Picture of the board (PNG)",
        Scope::Board,
        "png",
        1,
    ),
    (
        "board-png2",
        "Picture of the board (PNG 2x)",
        Scope::Board,
        "png",
        2,
    ),
    (
        "board-svg",
        "Picture of the board (SVG)",
        Scope::Board,
        "svg",
        1,
    ),
    (
        "board-pdf",
        "Board as PDF (a page per frame)",
        Scope::Board,
        "pdf",
        1,
    ),
    (
        "frame-png",
        "Picture of this frame (PNG)",
        Scope::Frame,
        "png",
        1,
    ),
    (
        "frame-png2",
        "Picture of this frame (PNG 2x)",
        Scope::Frame,
        "png",
        2,
    ),
    (
        "frame-svg",
        "Picture of this frame (SVG)",
        Scope::Frame,
        "svg",
        1,
    ),
    (
        "selection-png",
        "Picture of the selection (PNG)",
        Scope::Selection,
        "png",
        1,
    ),
    (
        "selection-png2",
        "Picture of the selection (PNG 2x)",
        Scope::Selection,
        "png",
        2,
    ),
    (
        "selection-svg",
        "Picture of the selection (SVG)",
        Scope::Selection,
        "svg",
        1,
    ),
    (
        "minutes",
        "Minutes (Markdown; facilitator or owner)",
        Scope::Board,
        "minutes",
        1,
    ),
    (
        "minutes-pdf",
        "Minutes (PDF; facilitator or owner)",
        Scope::Board,
        "minutes-pdf",
        1,
    ),
];

/// Adds the entries to the board `menu`; `message` shows progress and refusals.
pub fn install(page: &Page, menu: &HtmlElement, message: &HtmlElement) -> Result<(), JsValue> {
    for (id, label, ..) in ENTRIES {
        child(
            menu,
            "button",
            &[
                ("type", "button"),
                ("role", "menuitem"),
                ("data-picture", id),
            ],
            Some(label),
        )?;
    }
    let (weak, message) = (Rc::downgrade(page), message.clone());
    Listener::new(menu, "click", move |e: Event| {
        let Some(entry) = e
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .and_then(|el| el.closest("[data-picture]").ok().flatten())
            .and_then(|el| el.get_attribute("data-picture"))
            .and_then(|id| ENTRIES.iter().find(|entry| entry.0 == id))
        else {
            return;
        };
        let Some(page) = weak.upgrade() else {
            return;
        };
        let url = match url(&page.borrow(), entry.2, entry.3, entry.4) {
            Ok(url) => url,
            Err(why) => return say(&message, why),
        };
        let message = message.clone();
        draw(url, move |text| say(&message, text));
    })?
    .forever();
    Ok(())
}

/// Shift+P: a PNG of the selection, else of the whole board, with its progress and outcome
/// in the header's notice.
pub fn shortcut(s: &State) {
    let scope = if s.selection.ids.is_empty() {
        Scope::Board
    } else {
        Scope::Selection
    };
    let url = match url(s, scope, "png", 1) {
        Ok(url) => url,
        Err(why) => return super::role::notice(s, why),
    };
    let Ok(Some(notice)) = s.doc.query_selector("#notice") else {
        return;
    };
    draw(url, move |text| super::role::notice_in(&notice, text));
}

/// Has the server draw `url` and saves the file, telling `report` how it goes.
fn draw(url: String, report: impl Fn(&str) + 'static) {
    report("Drawing…");
    spawn_local(async move {
        match fetch_download(&url).await {
            Ok(name) => report(&format!("Saved {name}.")),
            Err(err) => {
                let detail = err.as_string().unwrap_or_else(|| format!("{err:?}"));
                report(&format!("No picture: {detail}"));
            }
        }
    });
}

/// The export URL for an entry, or why it cannot be drawn now.
fn url(s: &State, scope: Scope, format: &str, scale: u8) -> Result<String, &'static str> {
    let mut url = format!("/api/boards/{}/export?format={format}", s.id);
    if scale != 1 {
        url.push_str(&format!("&scale={scale}"));
    }
    match scope {
        Scope::Board => {}
        Scope::Frame => {
            let frame = current_frame(s)
                .ok_or("No frame here: select a frame, or move one to the middle of the view.")?;
            url.push_str(&format!("&frame={}", encode(&frame)));
        }
        Scope::Selection => {
            if s.selection.ids.is_empty() {
                return Err("Nothing is selected: select the items to draw first.");
            }
            let ids: Vec<String> = s.selection.ids.iter().map(|id| encode(id)).collect();
            url.push_str(&format!("&items={}", ids.join(",")));
        }
    }
    Ok(url)
}

/// The selected frame, else the topmost frame under the middle of the view.
fn current_frame(s: &State) -> Option<String> {
    let snapshot = s.board.snapshot(&s.board.doc().transact());
    if let Some(id) = s.selection.ids.iter().find(|id| {
        snapshot
            .items
            .get(*id)
            .is_some_and(|i| i.kind == ItemKind::Frame)
    }) {
        return Some(id.clone());
    }
    let middle = s
        .view
        .camera
        .to_world([s.view.size[0] / 2.0, s.view.size[1] / 2.0]);
    snapshot
        .items_by_z()
        .into_iter()
        .rev()
        .find(|(_, i)| {
            i.kind == ItemKind::Frame
                && middle[0] >= i.pos[0]
                && middle[0] <= i.pos[0] + i.size[0]
                && middle[1] >= i.pos[1]
                && middle[1] <= i.pos[1] + i.size[1]
        })
        .map(|(id, _)| id.clone())
}

fn encode(s: &str) -> String {
    String::from(js_sys::encode_uri_component(s))
}

/// Fetches `url` and saves the answer as a download under the server's file name; a refusal
/// becomes the server's message.
async fn fetch_download(url: &str) -> Result<String, JsValue> {
    let promise = dom::window()?.fetch_with_str(url);
    let response: Response = JsFuture::from(promise)
        .await
        .map_err(|_| JsValue::from_str("the server cannot be reached (offline?)"))?
        .dyn_into()?;
    if !response.ok() {
        let text = JsFuture::from(response.text()?)
            .await?
            .as_string()
            .unwrap_or_default();
        return Err(JsValue::from_str(&crate::http::error_message(
            response.status(),
            &text,
        )));
    }
    let name = response
        .headers()
        .get("content-disposition")?
        .and_then(|d| {
            d.split("filename=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "picture".to_owned());
    let blob: web_sys::Blob = JsFuture::from(response.blob()?).await?.dyn_into()?;
    let href = Url::create_object_url_with_blob(&blob)?;
    let link: HtmlAnchorElement = typed(dom::document()?.create_element("a")?)?;
    link.set_href(&href);
    link.set_download(&name);
    link.click();
    Url::revoke_object_url(&href)?;
    Ok(name)
}

fn say(message: &HtmlElement, text: &str) {
    message.set_text_content(Some(text));
    message.set_hidden(false);
}
