//! The facilitator panel (`#facilitation-panel`, `G` or the toolbar's *Facilitate*): who
//! facilitates; for the facilitator "Hand to..." the people present and *Rotate* (to whoever
//! present facilitated least recently), *Start/End private writing*; *Take the role* for
//! owners who do not hold it; the
//! agenda (`agenda`), the timer's controls (`timer`), the contribution balance (`balance`)
//! and the history of facilitators, newest first, in the person's own time zone.
//!
//! Everyone may open it (to see the agenda and who facilitates). Sections are rebuilt only
//! when what they show changed, so a field being typed into survives every update.

use std::collections::BTreeMap;

use huddle_shared::access::Role;
use huddle_shared::facilitation::{Command, PersonRef};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, Event, HtmlSelectElement};

use super::{agenda, balance, facilitates, facilitator_name, me, timer};
use crate::board::{Page, State};
use crate::dom::{Listener, button_of, child};

/// The elements facilitation lives in, and what each section last showed.
pub struct Ui {
    pub panel: Element,
    /// The timer badge over the canvas (everyone sees it while a timer exists).
    pub badge: Element,
    /// What each section last drew (section id -> key): unchanged sections are not rebuilt.
    pub drawn: BTreeMap<&'static str, String>,
}

pub fn build(page: &Page, stage: &Element) -> Result<Ui, JsValue> {
    let panel = child(
        stage,
        "aside",
        &[
            ("id", "facilitation-panel"),
            ("class", "rounds-panel facilitation-panel"),
            ("aria-label", "Facilitation"),
            ("hidden", ""),
        ],
        None,
    )?;
    let head = child(&panel, "div", &[("class", "story-head")], None)?;
    child(&head, "h2", &[], Some("Facilitation"))?;
    child(
        &head,
        "button",
        &[
            ("type", "button"),
            ("data-act", "close"),
            ("title", "Close (G)"),
            ("aria-label", "Close the facilitator panel"),
        ],
        Some("×"),
    )?;
    child(
        &panel,
        "div",
        &[("id", "fac-role"), ("class", "fac-section")],
        None,
    )?;
    child(&panel, "h3", &[], Some("Timer"))?;
    timer::build_controls(&panel)?;
    child(&panel, "h3", &[], Some("Agenda"))?;
    child(
        &panel,
        "div",
        &[("id", "fac-agenda"), ("class", "fac-section")],
        None,
    )?;
    child(
        &panel,
        "div",
        &[("id", "fac-balance"), ("class", "fac-section")],
        None,
    )?;
    child(&panel, "h3", &[], Some("Facilitators"))?;
    child(
        &panel,
        "ol",
        &[
            ("id", "fac-history"),
            ("class", "decision-list fac-history"),
        ],
        None,
    )?;
    let badge = timer::build_badge(stage)?;

    let weak = std::rc::Rc::downgrade(page);
    Listener::new(&panel, "click", move |e: Event| {
        let Some(button) = button_of(&e) else {
            return;
        };
        if let Some(page) = weak.upgrade()
            && let Ok(mut s) = page.try_borrow_mut()
        {
            clicked(&mut s, &button);
        }
    })?
    .forever();
    // The agenda editor's fields keep the draft as they are typed into.
    for event in ["input", "change"] {
        let weak = std::rc::Rc::downgrade(page);
        Listener::new(&panel, event, move |e: Event| {
            let Some(field) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
                return;
            };
            if let Some(page) = weak.upgrade()
                && let Ok(mut s) = page.try_borrow_mut()
            {
                agenda::edited(&mut s, &field);
            }
        })?
        .forever();
    }
    Ok(Ui {
        panel,
        badge,
        drawn: BTreeMap::new(),
    })
}

pub(super) fn panel(s: &State) -> Option<Element> {
    s.features.facilitation.ui.as_ref().map(|u| u.panel.clone())
}

pub fn toggle(s: &mut State) {
    let Some(p) = panel(s) else {
        return;
    };
    if p.has_attribute("hidden") {
        let _ = p.remove_attribute("hidden");
        render(s);
    } else {
        let _ = p.set_attribute("hidden", "");
    }
}

/// Whether section `id` must be drawn again to show `key` (and records that it will be).
pub(super) fn changed(s: &mut State, id: &'static str, key: String) -> bool {
    let Some(ui) = s.features.facilitation.ui.as_mut() else {
        return false;
    };
    if ui.drawn.get(id) == Some(&key) {
        return false;
    }
    ui.drawn.insert(id, key);
    true
}

pub(super) fn section(s: &State, id: &str) -> Option<Element> {
    s.doc.get_element_by_id(id)
}

fn clicked(s: &mut State, button: &Element) {
    let act = button.get_attribute("data-act").unwrap_or_default();
    match act.as_str() {
        "close" => toggle(s),
        "hand" => {
            let to = s
                .doc
                .get_element_by_id("fac-hand-to")
                .and_then(|e| e.dyn_into::<HtmlSelectElement>().ok())
                .map(|sel| sel.value())
                .filter(|v| !v.is_empty());
            match to {
                Some(to) => {
                    super::send(s, Command::Hand { to });
                }
                None => crate::board::role::notice(s, "Pick whom to hand the role to."),
            }
        }
        "rotate" => {
            super::send(s, Command::Rotate);
        }
        "claim" => {
            super::send(s, Command::Claim);
        }
        "private-start" => {
            super::send(s, Command::PrivateStart);
        }
        "private-end" => {
            super::send(s, Command::PrivateEnd);
        }
        _ => {
            if !timer::clicked(s, &act) && !agenda::clicked(s, &act, button) {
                balance::clicked(s, &act);
            }
        }
    }
}

/// The people present (from awareness: the server stamps each state's `user.id`), this
/// person included, by name; one entry per person however many tabs they have open.
pub fn present(s: &State) -> Vec<PersonRef> {
    let mut people: BTreeMap<String, PersonRef> = BTreeMap::new();
    if !s.session.guest.id.is_empty() {
        people.insert(
            s.session.guest.id.clone(),
            PersonRef {
                id: s.session.guest.id.clone(),
                name: s.author(),
            },
        );
    }
    let peers = s
        .session
        .conn
        .as_ref()
        .map(|c| c.peers())
        .unwrap_or_default();
    for (_, state) in peers {
        let user = state.get("user");
        let id = user.and_then(|u| u.get("id")).and_then(|v| v.as_str());
        let name = user.and_then(|u| u.get("name")).and_then(|v| v.as_str());
        if let (Some(id), Some(name)) = (id, name)
            && !id.is_empty()
        {
            people.entry(id.to_owned()).or_insert_with(|| PersonRef {
                id: id.to_owned(),
                name: name.trim().chars().take(60).collect(),
            });
        }
    }
    let mut people: Vec<PersonRef> = people.into_values().collect();
    huddle_shared::sort::sort_by(&mut people, |a, b| {
        (a.name.to_lowercase(), &a.id).cmp(&(b.name.to_lowercase(), &b.id))
    });
    people
}

/// Four times a second (the timer's tick): while the panel is open, the people present may
/// have changed (awareness tells the board, not us), so the role section looks again.
pub fn tick(s: &mut State) {
    if panel(s).is_some_and(|p| !p.has_attribute("hidden")) {
        let _ = role_section(s);
    }
}

/// Redraws the sections whose content changed.
pub fn render(s: &mut State) {
    if s.features.facilitation.ui.is_none() {
        return;
    }
    let _ = role_section(s);
    let _ = history(s);
    timer::render_controls(s);
    agenda::render(s);
    balance::render(s);
}

fn role_section(s: &mut State) -> Result<(), JsValue> {
    let fac = facilitates(s);
    let owner = s.session.role == Role::Owner;
    let others: Vec<PersonRef> = present(s).into_iter().filter(|p| p.id != me(s)).collect();
    let name = facilitator_name(s);
    let private_on = s.features.facilitation.public.private.is_some();
    let key = serde_json::to_string(&(&name, fac, owner, &others, private_on)).unwrap_or_default();
    if !changed(s, "fac-role", key) {
        return Ok(());
    }
    let Some(box_) = section(s, "fac-role") else {
        return Ok(());
    };
    // The person's pick survives a rebuild (someone came or went meanwhile).
    let picked = s
        .doc
        .get_element_by_id("fac-hand-to")
        .and_then(|e| e.dyn_into::<HtmlSelectElement>().ok())
        .map(|sel| sel.value());
    box_.set_text_content(None);
    let line = child(&box_, "p", &[("class", "fac-who")], None)?;
    child(&line, "span", &[], Some("Facilitator: "))?;
    child(&line, "strong", &[("id", "fac-facilitator")], Some(&name))?;
    if fac {
        let row = child(&box_, "div", &[("class", "result-actions")], None)?;
        let select = child(
            &row,
            "select",
            &[
                ("id", "fac-hand-to"),
                ("aria-label", "Hand the role to"),
                ("title", "Someone present to hand the role to"),
            ],
            None,
        )?;
        child(&select, "option", &[("value", "")], Some("Hand to…"))?;
        for p in &others {
            let option = child(&select, "option", &[("value", &p.id)], Some(&p.name))?;
            if picked.as_deref() == Some(p.id.as_str()) {
                option.set_attribute("selected", "")?;
            }
        }
        child(
            &row,
            "button",
            &[
                ("type", "button"),
                ("data-act", "hand"),
                ("id", "fac-hand"),
                ("title", "Hand the facilitator role to the person picked"),
            ],
            Some("Hand on"),
        )?;
        child(
            &row,
            "button",
            &[
                ("type", "button"),
                ("data-act", "rotate"),
                ("id", "fac-rotate"),
                (
                    "title",
                    "Hand the role to whoever present facilitated least recently",
                ),
            ],
            Some("Rotate"),
        )?;
        // Private writing without an agenda step: on and off here.
        let (act, label, title) = if private_on {
            (
                "private-end",
                "End private writing",
                "Publish everyone's private notes on the board, all at once",
            )
        } else {
            (
                "private-start",
                "Start private writing",
                "From now on, new notes are their author's alone until you end it",
            )
        };
        let row = child(&box_, "div", &[("class", "result-actions")], None)?;
        child(
            &row,
            "button",
            &[
                ("type", "button"),
                ("data-act", act),
                ("id", "fac-private"),
                ("title", title),
            ],
            Some(label),
        )?;
    }
    if owner && !matches!(&s.features.facilitation.public.facilitator, Some(p) if p.id == me(s)) {
        child(
            &box_,
            "button",
            &[
                ("type", "button"),
                ("data-act", "claim"),
                ("id", "fac-claim"),
                ("title", "Owners may take the facilitator role back"),
            ],
            Some("Take the role"),
        )?;
    }
    Ok(())
}

fn history(s: &mut State) -> Result<(), JsValue> {
    let turns = s.features.facilitation.public.history.clone();
    let key = serde_json::to_string(&turns).unwrap_or_default();
    if !changed(s, "fac-history", key) {
        return Ok(());
    }
    let Some(list) = section(s, "fac-history") else {
        return Ok(());
    };
    list.set_text_content(None);
    if turns.is_empty() {
        child(
            &list,
            "li",
            &[("class", "muted")],
            Some("Nobody was handed the role yet: the owner facilitates."),
        )?;
    }
    for t in turns.iter().rev() {
        let li = child(&list, "li", &[("data-person", &t.person)], None)?;
        child(&li, "strong", &[], Some(&t.name))?;
        let when = match t.to {
            Some(to) => format!("{} – {}", local_time(t.from), local_time(to)),
            None => format!("since {}", local_time(t.from)),
        };
        child(&li, "div", &[("class", "muted")], Some(&when))?;
    }
    Ok(())
}

/// `ms` (UTC) as the browser writes a local date and time.
pub(super) fn local_time(ms: u64) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(ms as f64));
    String::from(date.to_locale_string("default", &JsValue::UNDEFINED))
}
