//! The home page: a form that creates a board (`POST /api/boards`) and opens it, and the list
//! of existing boards (`GET /api/boards`).

use serde::Deserialize;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{Element, Headers, HtmlInputElement, RequestInit, Response};

use crate::dom::{self, Listener, child, element, js_error, log_error, typed};

/// The board API, relative to this page's origin.
const BOARDS_API: &str = "/api/boards";

/// What `GET /api/boards` lists (fields the page does not show are ignored).
#[derive(Debug, Deserialize)]
struct BoardInfo {
    id: String,
    title: String,
}

/// What `POST /api/boards` answers.
#[derive(Debug, Deserialize)]
struct Created {
    url: String,
}

pub fn mount(root: &Element) -> Result<(), JsValue> {
    let doc = dom::document()?;
    let main = element(&doc, "main", &[("class", "home")], None)?;
    child(&main, "h1", &[], Some("Huddle"))?;
    let tagline = "A shared whiteboard for backlog refinement.";
    child(&main, "p", &[("class", "tagline")], Some(tagline))?;

    let form = element(&doc, "form", &[("id", "new-board")], None)?;
    let title: HtmlInputElement = typed(element(
        &doc,
        "input",
        &[
            ("id", "new-board-title"),
            ("name", "title"),
            ("placeholder", "Board title"),
            ("maxlength", "200"),
            ("autocomplete", "off"),
            ("aria-label", "Board title"),
        ],
        None,
    )?)?;
    let submit = element(
        &doc,
        "button",
        &[("id", "new-board-submit"), ("type", "submit")],
        Some("New board"),
    )?;
    form.append_child(&title)?;
    form.append_child(&submit)?;
    main.append_child(&form)?;
    let error = element(
        &doc,
        "p",
        &[("id", "home-error"), ("class", "error"), ("hidden", "")],
        None,
    )?;
    main.append_child(&error)?;

    child(&main, "h2", &[], Some("Boards"))?;
    let list = element(&doc, "ul", &[("id", "boards")], None)?;
    main.append_child(&list)?;
    root.append_child(&main)?;

    let form_error = error.clone();
    Listener::new(&form, "submit", move |event| {
        event.prevent_default();
        let _ = submit.set_attribute("disabled", "");
        let (submit, error, title) = (submit.clone(), form_error.clone(), title.value());
        spawn_local(async move {
            match create_board(&title).await.and_then(|url| open(&url)) {
                Ok(()) => {}
                Err(err) => {
                    show_error(&error, "Could not create the board", &err);
                    let _ = submit.remove_attribute("disabled");
                }
            }
        });
    })?
    .forever();

    spawn_local(async move {
        match list_boards().await {
            Ok(boards) => {
                if let Err(err) = show_boards(&list, &boards) {
                    log_error("could not show the boards", &err);
                }
            }
            Err(err) => show_error(&error, "Could not load the boards", &err),
        }
    });
    Ok(())
}

fn show_boards(list: &Element, boards: &[BoardInfo]) -> Result<(), JsValue> {
    if boards.is_empty() {
        child(list, "li", &[("class", "empty")], Some("No boards yet."))?;
    }
    for board in boards {
        let title = if board.title.is_empty() {
            "Untitled board"
        } else {
            &board.title
        };
        let li = child(list, "li", &[], None)?;
        child(
            &li,
            "a",
            &[("href", &format!("/b/{}", board.id))],
            Some(title),
        )?;
    }
    Ok(())
}

fn show_error(error: &Element, what: &str, err: &JsValue) {
    log_error(what, err);
    let detail = err.as_string().unwrap_or_else(|| format!("{err:?}"));
    error.set_text_content(Some(&format!("{what}: {detail}")));
    let _ = error.remove_attribute("hidden");
}

fn open(url: &str) -> Result<(), JsValue> {
    dom::window()?.location().set_href(url)
}

async fn create_board(title: &str) -> Result<String, JsValue> {
    let body = serde_json::json!({ "title": title }).to_string();
    let headers = Headers::new()?;
    headers.set("content-type", "application/json")?;
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(&body));
    let created: Created = fetch_json(BOARDS_API, &init).await?;
    Ok(created.url)
}

async fn list_boards() -> Result<Vec<BoardInfo>, JsValue> {
    fetch_json(BOARDS_API, &RequestInit::new()).await
}

/// Fetches `url` and parses a successful response's JSON body; an HTTP error carries the body.
async fn fetch_json<T: serde::de::DeserializeOwned>(
    url: &str,
    init: &RequestInit,
) -> Result<T, JsValue> {
    let promise = dom::window()?.fetch_with_str_and_init(url, init);
    let response: Response = JsFuture::from(promise).await?.dyn_into()?;
    let text = JsFuture::from(response.text()?)
        .await?
        .as_string()
        .unwrap_or_default();
    if !response.ok() {
        return Err(JsValue::from_str(&format!(
            "HTTP {}: {}",
            response.status(),
            text.trim()
        )));
    }
    serde_json::from_str(&text).map_err(js_error)
}
