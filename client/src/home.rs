//! The home page: who you are (a name form until you chose one), a form that creates a board,
//! blank or from a template (`POST /api/boards`), and opens it, a field that opens a board by
//! link or id, and the list of existing boards (`GET /api/boards`).
//!
//! Ids the tests use: `#display-name`, `#display-name-save`, `#new-board-title`,
//! `#new-board-template`,
//! `#new-board-submit`, `#open-board`, `#open-board-go`, `#boards a`.

use huddle_shared::ids::is_valid_board_id;
use huddle_shared::templates::Template;
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Element, HtmlInputElement, HtmlSelectElement, RequestInit};

use crate::dom::{self, Listener, child, element, log_error, typed};
use crate::http::{self, fetch_json};
use crate::identity::{self, Guest};

/// The board API, relative to this page's origin.
const BOARDS_API: &str = "/api/boards";

/// What `GET /api/boards` lists (fields the page does not show are ignored).
#[derive(Debug, Deserialize)]
struct BoardInfo {
    id: String,
    title: String,
    /// This person's role on it (`owner`, `editor`, `commenter`, `viewer`).
    #[serde(default)]
    role: Option<String>,
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
    mount_identity(&main)?;
    let bar = child(&main, "div", &[("class", "home-inbox")], None)?;
    crate::inbox::install(&bar)?;

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
    let template: HtmlSelectElement = typed(element(
        &doc,
        "select",
        &[
            ("id", "new-board-template"),
            ("name", "template"),
            ("aria-label", "Template"),
            ("title", "Start from a template"),
        ],
        None,
    )?)?;
    for t in Template::ALL {
        child(&template, "option", &[("value", t.name())], Some(t.label()))?;
    }
    let submit = element(
        &doc,
        "button",
        &[("id", "new-board-submit"), ("type", "submit")],
        Some("New board"),
    )?;
    form.append_child(&title)?;
    form.append_child(&template)?;
    form.append_child(&submit)?;
    main.append_child(&form)?;
    let error = element(
        &doc,
        "p",
        &[("id", "home-error"), ("class", "error"), ("hidden", "")],
        None,
    )?;
    main.append_child(&error)?;

    mount_open_by_link(&main)?;

    // The boards opened in this browser (they open offline too), above the server's list.
    let recent = crate::offline::recent_boards();
    if !recent.is_empty() {
        child(&main, "h2", &[], Some("Recently opened here"))?;
        let list = element(&doc, "ul", &[("id", "recent-boards")], None)?;
        for board in &recent {
            let title = if board.title.is_empty() {
                board.id.as_str()
            } else {
                board.title.as_str()
            };
            board_link(&list, &board.id, title)?;
        }
        main.append_child(&list)?;
    }

    child(&main, "h2", &[], Some("Boards"))?;
    let list = element(&doc, "ul", &[("id", "boards")], None)?;
    main.append_child(&list)?;
    root.append_child(&main)?;

    let form_error = error.clone();
    Listener::new(&form, "submit", move |event| {
        event.prevent_default();
        let _ = submit.set_attribute("disabled", "");
        let (submit, error) = (submit.clone(), form_error.clone());
        let (title, template) = (title.value(), template.value());
        spawn_local(async move {
            match create_board(&title, &template)
                .await
                .and_then(|url| open(&url))
            {
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

/// "You appear as NAME" with a way to change it, or the name form if none was chosen yet:
/// as last known at once, then as the server says.
fn mount_identity(main: &Element) -> Result<(), JsValue> {
    let who = child(
        main,
        "div",
        &[("id", "identity"), ("class", "identity")],
        None,
    )?;
    let show = |who: &Element, guest: &Guest| {
        if identity::needs_name(guest) {
            show_name_form(who, guest)
        } else {
            show_name(who, guest)
        }
    };
    if crate::access::cached_me().is_some() {
        show(&who, &Guest::load())?;
    }
    let who_el = who.clone();
    spawn_local(async move {
        let guest = Guest::current().await;
        // Keep a form someone is typing in.
        let typing = who_el
            .query_selector("#display-name-form")
            .ok()
            .flatten()
            .is_some()
            && crate::access::cached_me().is_some();
        if !typing && let Err(err) = show(&who_el, &guest) {
            log_error("could not show who you are", &err);
        }
        if crate::access::cached_me().is_some_and(|m| m.admin) {
            let note = "You are this server's admin: you see and manage every board.";
            let attrs = [("class", "admin-note"), ("id", "admin-note")];
            let _ = child(&who_el, "p", &attrs, Some(note));
        }
    });
    Ok(())
}

fn show_name(who: &Element, guest: &Guest) -> Result<(), JsValue> {
    who.set_text_content(None);
    let line = child(
        who,
        "p",
        &[("class", "you")],
        Some("You appear to others as "),
    )?;
    let style = format!("color: {}", guest.color);
    child(
        &line,
        "strong",
        &[("id", "you-name"), ("style", &style)],
        Some(&guest.name),
    )?;
    let change = child(
        who,
        "button",
        &[("id", "change-name"), ("type", "button"), ("class", "link")],
        Some("Change name"),
    )?;
    let (who_el, guest) = (who.clone(), guest.clone());
    Listener::new(&change, "click", move |_| {
        if let Err(err) = show_name_form(&who_el, &guest) {
            log_error("could not show the name form", &err);
        }
    })?
    .forever();
    Ok(())
}

fn show_name_form(who: &Element, guest: &Guest) -> Result<(), JsValue> {
    who.set_text_content(None);
    let who_el = who.clone();
    let form = identity::mount_name_form(who, guest, move |renamed| {
        if let Err(err) = show_name(&who_el, &renamed) {
            log_error("could not show the name", &err);
        }
    })?;
    if let Some(input) = form.query_selector("#display-name")?
        && guest.named
    {
        input.set_attribute("value", &guest.name)?;
    }
    Ok(())
}

/// A field that opens a board from a pasted link (`https://host/b/ID`) or a bare id.
fn mount_open_by_link(main: &Element) -> Result<(), JsValue> {
    let form = child(main, "form", &[("id", "open-board-form")], None)?;
    let input: HtmlInputElement = typed(child(
        &form,
        "input",
        &[
            ("id", "open-board"),
            ("name", "board"),
            ("placeholder", "Board link or id"),
            ("autocomplete", "off"),
            ("aria-label", "Board link or id"),
        ],
        None,
    )?)?;
    child(
        &form,
        "button",
        &[("id", "open-board-go"), ("type", "submit")],
        Some("Open"),
    )?;
    let error = child(
        main,
        "p",
        &[
            ("id", "open-board-error"),
            ("class", "error"),
            ("hidden", ""),
        ],
        None,
    )?;
    Listener::new(&form, "submit", move |event| {
        event.prevent_default();
        // A share link's key goes along: opening the link gives its role.
        let opened = match board_id_from_link(&input.value()) {
            Some(id) => match key_from_link(&input.value()) {
                Some(key) => open(&format!("/b/{id}?key={key}")),
                None => open(&format!("/b/{id}")),
            },
            None => Err(JsValue::from_str("that is not a board link or id")),
        };
        if let Err(err) = opened {
            show_error(&error, "Cannot open it", &err);
        }
    })?
    .forever();
    Ok(())
}

/// The board id in what someone pasted: a board URL (absolute or a path, with or without a
/// query or fragment) or a bare id.
pub fn board_id_from_link(text: &str) -> Option<String> {
    let text = text.trim();
    let id = match text.rfind("/b/") {
        Some(at) => {
            let rest = &text[at + 3..];
            let end = rest.find(['?', '#']).unwrap_or(rest.len());
            rest[..end].trim_end_matches('/')
        }
        None => text,
    };
    is_valid_board_id(id).then(|| id.to_owned())
}

/// The share key in a pasted link (`...?key=KEY`), if it has one.
pub fn key_from_link(text: &str) -> Option<String> {
    let query = text.trim().split_once('?')?.1;
    let query = query.split('#').next().unwrap_or_default();
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("key="))
        .filter(|key| huddle_shared::access::is_valid_key(key))
        .map(str::to_owned)
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
        let li = board_link(list, &board.id, title)?;
        // Boards shared with this person say what they may do there.
        if let Some(role) = board.role.as_deref().filter(|r| *r != "owner") {
            child(&li, "span", &[("class", "role-tag")], Some(role))?;
        }
    }
    Ok(())
}

/// `<li><a href="/b/{id}">{title}</a></li>` at the end of `list`; the `li`.
fn board_link(list: &Element, id: &str, title: &str) -> Result<Element, JsValue> {
    let li = child(list, "li", &[], None)?;
    child(&li, "a", &[("href", &format!("/b/{id}"))], Some(title))?;
    Ok(li)
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

async fn create_board(title: &str, template: &str) -> Result<String, JsValue> {
    let body = serde_json::json!({ "title": title, "template": template }).to_string();
    let init = http::request("POST", "application/json", &body)?;
    let created: Created = fetch_json(BOARDS_API, &init).await?;
    Ok(created.url)
}

async fn list_boards() -> Result<Vec<BoardInfo>, JsValue> {
    fetch_json(BOARDS_API, &RequestInit::new()).await
}

#[cfg(test)]
mod tests {
    use super::{board_id_from_link, key_from_link};

    #[test]
    fn share_links_keep_their_key() {
        let key = "k".repeat(43);
        let link = format!("http://h:8080/b/Sprint42?key={key}");
        assert_eq!(board_id_from_link(&link).as_deref(), Some("Sprint42"));
        assert_eq!(key_from_link(&link), Some(key.clone()));
        assert_eq!(key_from_link(&format!("/b/x?a=1&key={key}#top")), Some(key));
        assert_eq!(key_from_link("/b/x"), None);
        assert_eq!(key_from_link("/b/x?key=short"), None);
    }

    #[test]
    fn links_and_ids_open_boards() {
        let id = |s: &str| board_id_from_link(s);
        assert_eq!(id("abc-1_2").as_deref(), Some("abc-1_2"));
        assert_eq!(id("  abc  ").as_deref(), Some("abc"));
        assert_eq!(id("http://h:8080/b/Sprint42").as_deref(), Some("Sprint42"));
        assert_eq!(id("https://h/b/x9/").as_deref(), Some("x9"));
        assert_eq!(id("/b/x9?from=mail#top").as_deref(), Some("x9"));
        assert_eq!(id("h/b/x9#note").as_deref(), Some("x9"));
        for bad in [
            "",
            "   ",
            "https://h/",
            "/b/",
            "/b/a/b",
            "a b",
            "../etc",
            "x.y",
        ] {
            assert_eq!(id(bad), None, "{bad}");
        }
    }
}
