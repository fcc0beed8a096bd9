//! The board menu in the header: export the board (story maps as a Markdown backlog or a
//! Jira CSV, the whole board as JSON) and import a CSV backlog or a board JSON into a new
//! board (`POST /api/boards/import?format=`).
//!
//! Exports are made in the page from its own copy of the board, by the same code as the
//! server's `GET /api/boards/{id}/export` (`huddle_shared::export`): they work offline and
//! include edits not yet sent. An import needs the server; it opens the new board when it is
//! created, and a bad file's error (which names the line and column) is shown in words and
//! nothing is created.
//!
//! RACI matrices export as one CSV each (`[data-export-raci]`).
//!
//! Ids the tests use: `#board-menu-button`, `#board-menu`, `[data-export=markdown|csv|json]`,
//! `[data-import=csv|json]`, `#import-file`, `#board-menu-message`.

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{
    Blob, BlobPropertyBag, Element, Event, HtmlAnchorElement, HtmlElement, HtmlInputElement,
    KeyboardEvent, Url,
};

use huddle_shared::export::{Format, slug};
use huddle_shared::yrs::Transact;

use super::{Page, State};
use crate::dom::{self, Listener, child, log_error, typed};
use crate::http;

/// Largest file offered to the server for import. The server has its own limit; this one
/// saves uploading a file that would be refused anyway.
const MAX_IMPORT_BYTES: f64 = 8.0 * 1024.0 * 1024.0;

/// Export formats and their menu labels.
const EXPORTS: [(Format, &str); 3] = [
    (Format::Markdown, "Export backlog (Markdown)"),
    (Format::Csv, "Export backlog for Jira (CSV)"),
    (Format::Json, "Export board (JSON)"),
];

/// Import formats: the API's name, the menu label, the file types offered.
const IMPORTS: [(&str, &str, &str); 2] = [
    ("csv", "Import CSV backlog (Jira, Trello)…", ".csv,text/csv"),
    ("json", "Import board JSON…", ".json,application/json"),
];

/// What the server answers to an import.
#[derive(serde::Deserialize)]
struct Imported {
    url: String,
}

/// Builds the menu button into the header's `side` and wires it to the page's board.
pub fn install(page: &Page, side: &Element) -> Result<(), JsValue> {
    let wrap = child(side, "div", &[("class", "board-menu-wrap")], None)?;
    let button = child(
        &wrap,
        "button",
        &[
            ("type", "button"),
            ("id", "board-menu-button"),
            ("aria-haspopup", "menu"),
            ("aria-expanded", "false"),
            ("title", "Export and import"),
        ],
        Some("Board ▾"),
    )?;
    let menu: HtmlElement = typed(child(
        &wrap,
        "div",
        &[("id", "board-menu"), ("role", "menu"), ("hidden", "")],
        None,
    )?)?;
    for (format, label) in EXPORTS {
        child(
            &menu,
            "button",
            &[
                ("type", "button"),
                ("role", "menuitem"),
                ("data-export", format.name()),
            ],
            Some(label),
        )?;
    }
    // RACI matrices: one CSV each (the Markdown backlog has them as tables).
    child(
        &menu,
        "button",
        &[
            ("type", "button"),
            ("role", "menuitem"),
            ("data-export-raci", "csv"),
        ],
        Some("Export RACI matrices (CSV)"),
    )?;
    for (format, label, _) in IMPORTS {
        child(
            &menu,
            "button",
            &[
                ("type", "button"),
                ("role", "menuitem"),
                ("data-import", format),
            ],
            Some(label),
        )?;
    }
    let file: HtmlInputElement = typed(child(
        &wrap,
        "input",
        &[("type", "file"), ("id", "import-file"), ("hidden", "")],
        None,
    )?)?;
    let message: HtmlElement = typed(child(
        &wrap,
        "p",
        &[
            ("id", "board-menu-message"),
            ("class", "board-menu-message"),
            ("role", "status"),
            ("hidden", ""),
        ],
        None,
    )?)?;

    let open = {
        let (menu, button) = (menu.clone(), button.clone());
        move |on: bool| {
            menu.set_hidden(!on);
            let _ = button.set_attribute("aria-expanded", if on { "true" } else { "false" });
        }
    };
    let toggle = {
        let (menu, open, message) = (menu.clone(), open.clone(), message.clone());
        move |_: Event| {
            // Opening the menu clears the last export's or import's message.
            message.set_hidden(true);
            open(menu.hidden())
        }
    };
    Listener::new(&button, "click", toggle)?.forever();
    let close = open.clone();
    Listener::new(&wrap, "keydown", move |e: Event| {
        if e.dyn_ref::<KeyboardEvent>()
            .is_some_and(|k| k.key() == "Escape")
        {
            close(false);
        }
    })?
    .forever();

    // The format the file picker was opened for.
    let importing: Rc<Cell<&'static str>> = Rc::new(Cell::new("csv"));
    let (weak, msg, picker, fmt) = (
        std::rc::Rc::downgrade(page),
        message.clone(),
        file.clone(),
        importing.clone(),
    );
    Listener::new(&menu, "click", move |e: Event| {
        let Some(item) = e
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .and_then(|el| el.closest("button").ok().flatten())
        else {
            return;
        };
        open(false);
        if item.has_attribute("data-export-raci") {
            if let Some(page) = weak.upgrade() {
                export_raci(&page.borrow(), &msg);
            }
        } else if let Some(format) = item
            .get_attribute("data-export")
            .and_then(|f| Format::parse(&f))
        {
            if let Some(page) = weak.upgrade() {
                export(&page.borrow(), format, &msg);
            }
        } else if let Some(format) = item.get_attribute("data-import")
            && let Some((name, _, accept)) = IMPORTS.iter().find(|i| i.0 == format)
        {
            fmt.set(name);
            let _ = picker.set_attribute("accept", accept);
            picker.set_value("");
            picker.click();
        }
    })?
    .forever();

    let (msg, input) = (message.clone(), file.clone());
    Listener::new(&file, "change", move |_| {
        let Some(chosen) = input.files().and_then(|files| files.get(0)) else {
            return;
        };
        let (msg, format) = (msg.clone(), importing.get());
        spawn_local(async move { import(chosen, format, &msg).await });
    })?
    .forever();
    // Pictures and minutes, drawn by the server.
    super::pictures::install(page, &menu, &message)?;
    Ok(())
}

/// Exports the page's copy of the board and saves it as a download.
fn export(s: &State, format: Format, message: &Element) {
    let (text, title) = {
        let txn = s.board.doc().transact();
        let snapshot = s.board.snapshot(&txn);
        (format.export(&snapshot), snapshot.meta.title)
    };
    let stem = if title.trim().is_empty() {
        s.id.clone()
    } else {
        slug(&title)
    };
    let name = format!("{stem}.{}", format.extension());
    match download(&text, format.content_type(), &name) {
        Ok(()) => say(message, &format!("Saved {name}.")),
        Err(err) => fail(message, "Export failed", &err),
    }
}

/// Saves each RACI matrix of the page's copy of the board as a CSV file of its own.
fn export_raci(s: &State, message: &Element) {
    let snapshot = s.board.snapshot(&s.board.doc().transact());
    let matrices = huddle_shared::export::raci_matrices(&snapshot);
    if matrices.is_empty() {
        say(message, "This board has no RACI matrix.");
        return;
    }
    let stem = if snapshot.meta.title.trim().is_empty() {
        s.id.clone()
    } else {
        slug(&snapshot.meta.title)
    };
    let mut names = Vec::new();
    for (id, title) in &matrices {
        let Some(csv) = huddle_shared::export::raci_csv(&snapshot, id) else {
            continue;
        };
        let name = format!("{stem}-{}.csv", slug(title));
        if let Err(err) = download(&csv, Format::Csv.content_type(), &name) {
            fail(message, "Export failed", &err);
            return;
        }
        names.push(name);
    }
    say(message, &format!("Saved {}.", names.join(", ")));
}

/// Uploads a chosen file to the import API and opens the new board.
async fn import(file: web_sys::File, format: &str, message: &Element) {
    if file.size() > MAX_IMPORT_BYTES {
        say(
            message,
            &format!(
                "{} is too big to import ({:.1} MB; at most {:.0} MB).",
                file.name(),
                file.size() / 1e6,
                MAX_IMPORT_BYTES / (1024.0 * 1024.0)
            ),
        );
        return;
    }
    say(message, &format!("Importing {}…", file.name()));
    let result = async {
        let text = JsFuture::from(file.text())
            .await?
            .as_string()
            .unwrap_or_default();
        let title = title_of(&file.name());
        let url = format!(
            "/api/boards/import?format={format}&title={}",
            String::from(js_sys::encode_uri_component(&title))
        );
        let kind = if format == "csv" {
            "text/csv"
        } else {
            "application/json"
        };
        let imported: Imported =
            http::fetch_json(&url, &http::request("POST", kind, &text)?).await?;
        dom::window()?.location().set_href(&imported.url)
    }
    .await;
    if let Err(err) = result {
        // A file the server refuses is the person's to fix, not a fault of the page: it is
        // shown, not logged as an error.
        let detail = err.as_string().unwrap_or_else(|| format!("{err:?}"));
        say(
            message,
            &format!("Could not import {}: {detail}", file.name()),
        );
    }
}

/// Saves `text` as a file called `name` through a temporary object URL.
fn download(text: &str, kind: &str, name: &str) -> Result<(), JsValue> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = BlobPropertyBag::new();
    options.set_type(kind);
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = Url::create_object_url_with_blob(&blob)?;
    let doc = dom::document()?;
    let link: HtmlAnchorElement = typed(doc.create_element("a")?)?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    Url::revoke_object_url(&url)
}

fn say(message: &Element, text: &str) {
    message.set_text_content(Some(text));
    let _ = message.remove_attribute("hidden");
}

fn fail(message: &Element, context: &str, err: &JsValue) {
    let detail = err.as_string().unwrap_or_else(|| format!("{err:?}"));
    say(message, &format!("{context}: {detail}"));
    log_error(context, err);
}

/// A board title from a file name: `Q3 backlog.csv` -> `Q3 backlog`.
fn title_of(file_name: &str) -> String {
    let stem = match file_name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => file_name,
    };
    stem.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_come_from_file_names() {
        assert_eq!(title_of("Q3 backlog.csv"), "Q3 backlog");
        assert_eq!(title_of(".csv"), ".csv");
        assert_eq!(title_of("backlog"), "backlog");
    }
}
