//! The side panel (`#rounds-panel`, `L` or the toolbar's *Decisions*): a revealed round's
//! result as the document holds it, and the board's decision log.
//!
//! - Dot votes: the items by votes. Fist to five: the whole spread and the dissent. Poker:
//!   each story's spread, the lowest and highest cards marked (they speak first), and for
//!   owners and editors an *Accept* per card, which writes the estimate into the story (one
//!   local transaction, one undo step) and tells the server (`Command::Accept`).
//!   Impact/effort: each note's median and range on both axes.
//! - *Re-run* opens the same round again; *Record decision* fills the log form from it.
//! - Whoever showed 0 to 2 in a fist to five is asked "What would change your mind?" once.
//! - The log lists every decision (time in your zone, who, what, result, dissent, the entry
//!   it corrects); owners and editors add one (`Command::Decide`).
//!
//! `result` draws the result itself. The forms are built once (what someone is typing survives every update); only the
//! result and the log's list are rebuilt.

use huddle_shared::rounds::{Command, RoundResult, Status};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, Event, HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};

use super::clock;
use crate::board::{Page, State, role};
use crate::dom::{Listener, button_of, child};

pub fn build(page: &Page, stage: &Element) -> Result<Element, JsValue> {
    let panel = child(
        stage,
        "aside",
        &[
            ("id", "rounds-panel"),
            ("class", "rounds-panel"),
            ("aria-label", "Results and decisions"),
            ("hidden", ""),
        ],
        None,
    )?;
    let head = child(&panel, "div", &[("class", "story-head")], None)?;
    child(&head, "h2", &[], Some("Results"))?;
    child(
        &head,
        "button",
        &[
            ("type", "button"),
            ("data-act", "close"),
            ("title", "Close (L)"),
            ("aria-label", "Close the results panel"),
        ],
        Some("×"),
    )?;
    child(&panel, "div", &[("id", "round-result")], None)?;
    let dissent = child(
        &panel,
        "div",
        &[
            ("id", "dissent-box"),
            ("class", "dissent-box"),
            ("hidden", ""),
        ],
        None,
    )?;
    let label = child(
        &dissent,
        "label",
        &[("for", "dissent-text")],
        Some("What would change your mind?"),
    )?;
    let _ = label;
    child(
        &dissent,
        "textarea",
        &[("id", "dissent-text"), ("rows", "3"), ("maxlength", "500")],
        None,
    )?;
    child(
        &dissent,
        "button",
        &[
            ("type", "button"),
            ("data-act", "dissent"),
            ("id", "dissent-send"),
        ],
        Some("Send"),
    )?;
    child(&panel, "h2", &[], Some("Decision log"))?;
    child(
        &panel,
        "ol",
        &[("id", "decision-list"), ("class", "decision-list")],
        None,
    )?;
    let form = child(
        &panel,
        "div",
        &[("id", "decision-form"), ("class", "decision-form edit")],
        None,
    )?;
    child(
        &form,
        "label",
        &[("for", "decision-text")],
        Some("Record a decision"),
    )?;
    child(
        &form,
        "textarea",
        &[
            ("id", "decision-text"),
            ("rows", "3"),
            ("maxlength", "2000"),
        ],
        None,
    )?;
    let corrects = child(
        &form,
        "label",
        &[("class", "vote-field")],
        Some("Corrects entry # (optional)"),
    )?;
    child(
        &corrects,
        "input",
        &[
            ("id", "decision-corrects"),
            ("type", "number"),
            ("min", "1"),
        ],
        None,
    )?;
    child(
        &form,
        "button",
        &[
            ("type", "button"),
            ("data-act", "decide"),
            ("id", "decision-record"),
        ],
        Some("Record decision"),
    )?;

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
    let weak = std::rc::Rc::downgrade(page);
    Listener::new(&panel, "change", move |e: Event| {
        let Some(select) = e
            .target()
            .and_then(|t| t.dyn_into::<HtmlSelectElement>().ok())
        else {
            return;
        };
        if select.id() == "result-pick"
            && let Some(page) = weak.upgrade()
            && let Ok(mut s) = page.try_borrow_mut()
        {
            s.features.rounds.shown = Some(select.value());
            render(&mut s);
        }
    })?
    .forever();
    Ok(panel)
}

fn panel(s: &State) -> Option<Element> {
    s.features.rounds.ui.as_ref().map(|u| u.panel.clone())
}

pub fn open(s: &mut State) {
    if let Some(p) = panel(s) {
        let _ = p.remove_attribute("hidden");
    }
}

pub fn toggle(s: &mut State) {
    if let Some(p) = panel(s) {
        if p.has_attribute("hidden") {
            let _ = p.remove_attribute("hidden");
            render(s);
        } else {
            let _ = p.set_attribute("hidden", "");
        }
    }
}

fn value_of<T: JsCast>(s: &State, id: &str) -> Option<T> {
    s.doc.get_element_by_id(id)?.dyn_into::<T>().ok()
}

fn clicked(s: &mut State, button: &Element) {
    let shown = shown(s).map(|r| r.round.id.clone());
    match button.get_attribute("data-act").as_deref() {
        Some("close") => toggle(s),
        Some("rerun") => {
            if let Some(round) = shown {
                super::send(s, Command::Rerun { round });
            }
        }
        Some("accept") => {
            if let (Some(round), Some(item), Some(card)) = (
                shown,
                button.get_attribute("data-item"),
                button.get_attribute("data-card"),
            ) {
                super::result::accept(s, &round, &item, &card);
            }
        }
        Some("record-from") => {
            if let Some(text) = value_of::<HtmlTextAreaElement>(s, "decision-text")
                && let Some(result) = shown
                    .as_ref()
                    .and_then(|id| s.features.rounds.results.get(id))
            {
                let title = &result.round.settings.title;
                let what = if title.is_empty() {
                    result.round.settings.kind.label()
                } else {
                    title
                };
                text.set_value(&format!("{what}: "));
                let _ = text.set_attribute("data-round", &result.round.id);
                let _ = text.focus();
            }
        }
        Some("decide") => decide(s),
        Some("dissent") => {
            let Some(field) = value_of::<HtmlTextAreaElement>(s, "dissent-text") else {
                return;
            };
            let text = field.value().trim().to_owned();
            let round = s
                .features
                .rounds
                .views
                .values()
                .find(|v| v.can_dissent)
                .map(|v| v.round.id.clone());
            let Some(round) = round.filter(|_| !text.is_empty()) else {
                return;
            };
            let cmd = Command::Dissent {
                round: round.clone(),
                text,
            };
            if super::send(s, cmd) {
                field.set_value("");
                // Asked once: the prompt goes (a refusal is shown in the notice).
                if let Some(v) = s.features.rounds.views.get_mut(&round) {
                    v.can_dissent = false;
                }
                render(s);
            }
        }
        _ => {}
    }
}

fn decide(s: &mut State) {
    let Some(field) = value_of::<HtmlTextAreaElement>(s, "decision-text") else {
        return;
    };
    let text = field.value().trim().to_owned();
    if text.is_empty() {
        role::notice(s, "Write what was decided first.");
        return;
    }
    let round = field.get_attribute("data-round");
    let corrects_field = value_of::<HtmlInputElement>(s, "decision-corrects");
    let number = corrects_field
        .as_ref()
        .map(|f| f.value())
        .unwrap_or_default();
    let corrects = match number.trim() {
        "" => None,
        n => match s
            .features
            .rounds
            .decisions
            .iter()
            .find(|d| number_of(&d.id) == n.trim_start_matches('0'))
        {
            Some(d) => Some(d.id.clone()),
            None => {
                role::notice(s, &format!("There is no decision #{n} to correct."));
                return;
            }
        },
    };
    if super::send(
        s,
        Command::Decide {
            text,
            round,
            corrects,
        },
    ) {
        field.set_value("");
        let _ = field.remove_attribute("data-round");
        if let Some(f) = corrects_field {
            f.set_value("");
        }
    }
}

/// A decision's number as people say it: its id without the zero padding.
fn number_of(id: &str) -> &str {
    let n = id.trim_start_matches('0');
    if n.is_empty() { "0" } else { n }
}

pub(super) fn shown(s: &State) -> Option<&RoundResult> {
    let r = &s.features.rounds;
    r.shown
        .as_ref()
        .and_then(|id| r.results.get(id))
        .filter(|res| res.round.status == Status::Revealed)
        .or_else(|| r.latest())
}

/// Rebuilds the result and the log's list.
pub fn render(s: &mut State) {
    let Some(p) = panel(s) else {
        return;
    };
    if let Ok(Some(box_)) = p.query_selector("#round-result") {
        box_.set_text_content(None);
        let _ = super::result::render(s, &box_);
    }
    if let Ok(Some(list)) = p.query_selector("#decision-list") {
        list.set_text_content(None);
        let _ = log(s, &list);
    }
    let asks = s.features.rounds.views.values().any(|v| v.can_dissent);
    if let Ok(Some(d)) = p.query_selector("#dissent-box") {
        let _ = if asks {
            d.remove_attribute("hidden")
        } else {
            d.set_attribute("hidden", "")
        };
    }
}

fn log(s: &State, list: &Element) -> Result<(), JsValue> {
    if s.features.rounds.decisions.is_empty() {
        child(
            list,
            "li",
            &[("class", "muted")],
            Some("No decision recorded yet."),
        )?;
    }
    for d in s.features.rounds.decisions.iter().rev() {
        let li = child(list, "li", &[("data-decision", &d.id)], None)?;
        let head = format!("#{} · {} · {}", number_of(&d.id), clock::local(d.at), d.by);
        child(&li, "div", &[("class", "muted")], Some(&head))?;
        child(&li, "div", &[("class", "decision-text")], Some(&d.text))?;
        if !d.result.is_empty() {
            child(&li, "div", &[("class", "decision-result")], Some(&d.result))?;
        }
        if !d.participants.is_empty() {
            child(
                &li,
                "div",
                &[("class", "muted")],
                Some(&format!("With {}", d.participants.join(", "))),
            )?;
        } else if d.voters > 0 {
            child(
                &li,
                "div",
                &[("class", "muted")],
                Some(&format!("{} took part", d.voters)),
            )?;
        }
        for dissent in &d.dissent {
            let text = match &dissent.name {
                Some(name) => format!("Dissent, {name}: {}", dissent.text),
                None => format!("Dissent: {}", dissent.text),
            };
            child(&li, "div", &[("class", "decision-dissent")], Some(&text))?;
        }
        if let Some(old) = &d.corrects {
            child(
                &li,
                "div",
                &[("class", "muted")],
                Some(&format!("Corrects #{}", number_of(old))),
            )?;
        }
    }
    Ok(())
}
