//! A person at a board page: their own headless Chromium (own profile, name, IndexedDB and
//! service worker) with one tab, driven with real mouse and key events, and read through the
//! page's read-only `window.huddle` hooks. Shared by the browser test files.

use std::collections::BTreeSet;

use anyhow::{Context, ensure};
use serde_json::{Value, json};

use crate::browser::{self, Browser, Page};
use crate::client::WAIT;
use crate::http;
use crate::server::{DataDir, TestServer};

/// The board page is up: its hooks exist and it is connected.
pub const READY: &str =
    "window.huddle && ['online', 'saved'].includes(document.querySelector('#status')?.textContent)";

/// A person: their own browser with one tab on `board`.
pub struct Person {
    pub name: &'static str,
    pub page: Page,
    pub browser: Browser,
}

impl Person {
    pub async fn join(
        name: &'static str,
        server: &TestServer,
        board: &str,
    ) -> anyhow::Result<Person> {
        let browser = Browser::launch().await?;
        let page = browser.new_page(&server.page_url(board)).await?;
        let person = Person {
            name,
            page,
            browser,
        };
        person.wait("the board page to connect", READY).await?;
        Ok(person)
    }

    /// `page.wait_for` with [`WAIT`]; a timeout also reports what the page shows and logged.
    pub async fn wait(&self, what: &str, js: &str) -> anyhow::Result<Value> {
        match self.page.wait_for(js, WAIT).await {
            Ok(value) => Ok(value),
            Err(err) => Err(err.context(format!(
                "{} waiting for {what}; the page shows {}",
                self.name,
                self.describe().await
            ))),
        }
    }

    pub async fn describe(&self) -> String {
        let shown = self
            .page
            .eval(
                "({
                    path: location.pathname,
                    status: document.querySelector('#status')?.textContent ?? null,
                    items: window.huddle ? huddle.snapshot().items : null,
                    editing: window.huddle ? huddle.editing() : null,
                    selection: window.huddle ? huddle.selection() : null,
                })",
            )
            .await
            .map_or_else(|e| format!("(unreadable: {e:#})"), |v| v.to_string());
        format!("{shown}; console: {:?}", self.page.console())
    }

    pub async fn items(&self) -> anyhow::Result<serde_json::Map<String, Value>> {
        let items = self.page.eval("huddle.snapshot().items").await?;
        items
            .as_object()
            .cloned()
            .with_context(|| format!("{}: snapshot().items is {items}", self.name))
    }

    /// Where world point `p` is on the page.
    pub async fn to_client(&self, p: [f64; 2]) -> anyhow::Result<[f64; 2]> {
        let at = self
            .page
            .eval(&format!("huddle.worldToClient({}, {})", p[0], p[1]))
            .await?;
        serde_json::from_value(at.clone()).with_context(|| format!("worldToClient gave {at}"))
    }

    /// The page coordinates of the middle of item `id`.
    pub async fn item_center(&self, id: &str) -> anyhow::Result<[f64; 2]> {
        let items = self.items().await?;
        let item = items
            .get(id)
            .with_context(|| format!("{} has no item {id}", self.name))?;
        let pos: [f64; 2] = serde_json::from_value(item["pos"].clone())?;
        let size: [f64; 2] = serde_json::from_value(item["size"].clone())?;
        self.to_client([pos[0] + size[0] / 2.0, pos[1] + size[1] / 2.0])
            .await
    }

    /// The middle of the canvas, offset by `dx`, `dy` pixels.
    pub async fn canvas_point(&self, dx: f64, dy: f64) -> anyhow::Result<[f64; 2]> {
        let r = self
            .page
            .eval(
                "(() => { const r = document.querySelector('#board-canvas').getBoundingClientRect();
                          return [r.left + r.width / 2, r.top + r.height / 2]; })()",
            )
            .await?;
        let [x, y]: [f64; 2] = serde_json::from_value(r)?;
        Ok([x + dx, y + dy])
    }

    /// Double-clicks empty canvas at `at`, which creates a note there and opens its editor;
    /// returns the new note's id.
    pub async fn create_note(&self, at: [f64; 2]) -> anyhow::Result<String> {
        let before: BTreeSet<String> = self.items().await?.keys().cloned().collect();
        self.page.double_click_at(at).await?;
        let id = self
            .wait("the new note's editor", "huddle.editing()")
            .await?
            .as_str()
            .context("editing() is not an id")?
            .to_owned();
        ensure!(
            !before.contains(&id),
            "{} edits an old note {id}",
            self.name
        );
        self.wait(
            "the editor to have the focus",
            "document.activeElement?.id === 'note-editor'",
        )
        .await?;
        Ok(id)
    }

    /// Double-clicks note `id` to edit it.
    pub async fn edit_note(&self, id: &str) -> anyhow::Result<()> {
        let at = self.item_center(id).await?;
        self.page.double_click_at(at).await?;
        self.wait(
            &format!("the editor of {id}"),
            &format!("huddle.editing() === {}", json!(id)),
        )
        .await?;
        Ok(())
    }

    /// Types into the open note editor, keystroke by keystroke.
    pub async fn type_text(&self, text: &str) -> anyhow::Result<()> {
        self.page.type_into("#note-editor", text).await
    }

    /// Ends editing with Escape.
    pub async fn end_edit(&self) -> anyhow::Result<()> {
        self.page.press("Escape", 0).await?;
        self.wait("editing to end", "huddle.editing() === null")
            .await?;
        Ok(())
    }

    /// Waits until item `id` has exactly `text`.
    pub async fn wait_text(&self, id: &str, text: &str) -> anyhow::Result<()> {
        self.wait(
            &format!("{id} to read {text:?}"),
            &format!(
                "huddle.snapshot().items[{}]?.text === {}",
                json!(id),
                json!(text)
            ),
        )
        .await?;
        Ok(())
    }

    pub async fn wait_saved(&self) -> anyhow::Result<()> {
        self.wait(
            "'saved'",
            "document.querySelector('#status')?.textContent === 'saved'",
        )
        .await?;
        Ok(())
    }

    /// Nothing went to the console as an error and no exception went uncaught.
    pub fn assert_no_errors(&self) -> anyhow::Result<()> {
        let errors = self.page.errors();
        ensure!(
            errors.is_empty(),
            "{} logged errors: {errors:#?}",
            self.name
        );
        Ok(())
    }
}

/// A server on a fresh data directory, a board, and two people on it.
pub async fn two_people(
    title: &str,
) -> anyhow::Result<(TestServer, DataDir, String, Person, Person)> {
    browser::ensure_client_built()?;
    let (server, data) = TestServer::start()?;
    let board = http::create_board(server.addr(), title).await?;
    let a = Person::join("A", &server, &board).await?;
    let b = Person::join("B", &server, &board).await?;
    Ok((server, data, board, a, b))
}
