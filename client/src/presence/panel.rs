//! The people panel: who is on the board, whom we follow, and "Bring everyone here".
//!
//! ```html
//! <aside class="people-panel" aria-label="People on this board">
//!   <ul id="people">
//!     <li class="person me"><span class="dot" style="background:#..."></span><span class="name">Me</span></li>
//!     <li class="person [following]" data-client-id="123">
//!       <button type="button" class="person-follow" title="Follow Ada's view">
//!         <span class="dot" style="background:#..."></span><span class="name">Ada</span></button></li>
//!   </ul>
//!   <p id="following" hidden>Following Ada <button id="stop-following">Stop</button></p>
//!   <button id="summon" type="button">Bring everyone here</button>
//! </aside>
//! ```
//!
//! Each `li`'s text is the person's name alone (tests read it). The list is rebuilt only when
//! what it shows changed (names, colours, who is followed), not on every cursor move.

use std::cell::RefCell;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::Element;

use super::Peer;
use crate::dom::{Listener, child};

/// What the list shows; compared to skip rebuilding it when nothing visible changed.
#[derive(Debug, Clone, PartialEq)]
struct Shown {
    me: (String, String),
    peers: Vec<(u64, String, String)>,
    following: Option<u64>,
}

pub struct Panel {
    pub root: Element,
    list: Element,
    following: Element,
    following_name: Element,
    shown: RefCell<Option<Shown>>,
    listeners: RefCell<Vec<Listener>>,
}

impl Panel {
    /// Builds the panel as the last child of `parent`.
    pub fn new(parent: &Element) -> Result<Panel, JsValue> {
        let root = child(
            parent,
            "aside",
            &[
                ("class", "people-panel"),
                ("aria-label", "People on this board"),
            ],
            None,
        )?;
        let list = child(&root, "ul", &[("id", "people")], None)?;
        let following = child(&root, "p", &[("id", "following"), ("hidden", "")], None)?;
        let following_name = child(&following, "span", &[], None)?;
        child(
            &following,
            "button",
            &[("id", "stop-following"), ("type", "button")],
            Some("Stop"),
        )?;
        child(
            &root,
            "button",
            &[
                ("id", "summon"),
                ("type", "button"),
                ("title", "Move everyone's view to what you see"),
            ],
            Some("Bring everyone here"),
        )?;
        Ok(Panel {
            root,
            list,
            following,
            following_name,
            shown: RefCell::new(None),
            listeners: RefCell::new(Vec::new()),
        })
    }

    /// Calls `on_person` with the client id of a peer clicked in the list, `on_stop` when
    /// "Stop" following is clicked, `on_summon` when "Bring everyone here" is.
    pub fn listen(
        &self,
        on_person: impl Fn(u64) + 'static,
        on_stop: impl Fn() + 'static,
        on_summon: impl Fn() + 'static,
    ) -> Result<(), JsValue> {
        let mut listeners = self.listeners.borrow_mut();
        listeners.push(Listener::new(&self.list, "click", move |event| {
            let person = event
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .and_then(|el| el.closest("li.person[data-client-id]").ok().flatten());
            let id = person
                .and_then(|li| li.get_attribute("data-client-id"))
                .and_then(|id| id.parse::<u64>().ok());
            if let Some(id) = id {
                on_person(id);
            }
        })?);
        for (selector, action) in [
            ("#stop-following", Box::new(on_stop) as Box<dyn Fn()>),
            ("#summon", Box::new(on_summon)),
        ] {
            if let Some(button) = self.root.query_selector(selector)? {
                listeners.push(Listener::new(&button, "click", move |_| action())?);
            }
        }
        Ok(())
    }

    /// Shows us first, then the peers (already sorted), marking the one we follow.
    pub fn render(
        &self,
        me: (&str, &str),
        peers: &[Peer],
        following: Option<u64>,
    ) -> Result<(), JsValue> {
        let shown = Shown {
            me: (me.0.to_owned(), me.1.to_owned()),
            peers: peers
                .iter()
                .map(|p| (p.client_id, p.name.clone(), p.color.clone()))
                .collect(),
            following,
        };
        if self.shown.borrow().as_ref() == Some(&shown) {
            return Ok(());
        }
        self.list.set_text_content(None);
        let li = child(
            &self.list,
            "li",
            &[("class", "person me"), ("title", "You")],
            None,
        )?;
        person_label(&li, me.0, me.1)?;
        for peer in peers {
            let is_followed = following == Some(peer.client_id);
            let class = if is_followed {
                "person following"
            } else {
                "person"
            };
            let id = peer.client_id.to_string();
            let li = child(
                &self.list,
                "li",
                &[("class", class), ("data-client-id", &id)],
                None,
            )?;
            let title = if is_followed {
                format!("Stop following {}", peer.name)
            } else {
                format!("Follow {}'s view", peer.name)
            };
            let pressed = if is_followed { "true" } else { "false" };
            let button = child(
                &li,
                "button",
                &[
                    ("type", "button"),
                    ("class", "person-follow"),
                    ("title", &title),
                    ("aria-pressed", pressed),
                ],
                None,
            )?;
            person_label(&button, &peer.name, &peer.color)?;
        }
        match following.and_then(|id| peers.iter().find(|p| p.client_id == id)) {
            Some(peer) => {
                let text = format!("Following {} ", peer.name);
                self.following_name.set_text_content(Some(&text));
                self.following.remove_attribute("hidden")?;
            }
            None => self.following.set_attribute("hidden", "")?,
        }
        *self.shown.borrow_mut() = Some(shown);
        Ok(())
    }
}

/// A coloured dot and the name. The colour is a checked `#rrggbb` (see `super::state`), so
/// it is safe in a style attribute; the name goes in as text.
fn person_label(parent: &Element, name: &str, color: &str) -> Result<(), JsValue> {
    let style = format!("background: {color}");
    child(
        parent,
        "span",
        &[("class", "dot"), ("style", &style), ("aria-hidden", "true")],
        None,
    )?;
    child(parent, "span", &[("class", "name")], Some(name))?;
    Ok(())
}
