//! The bar's pickers: the cards of fist to five (0 to 5) and poker (the deck with "?" and
//! coffee), each labelled with the digit key that picks it, for the one item the bar is on;
//! impact/effort's two 1-5 pickers per note; and, for dot votes, the round's items as a list
//! with a button to add and one to take back a dot each (the keyboard's way to vote). Which one is chosen comes from the
//! person's own ballot, as the server last confirmed it (or as just cast).

use huddle_shared::rounds::{Choice, Kind, RoundView};
use wasm_bindgen::prelude::*;
use web_sys::Element;

use super::ballot;
use super::bar::{button, current_item, item_text};
use crate::board::State;
use crate::dom::child;

/// The card picker for the bar's current item.
pub fn cards(s: &State, bar: &Element, view: &RoundView) -> Result<(), JsValue> {
    let Some(item) = current_item(&s.features.rounds, view) else {
        return Ok(());
    };
    let targets = &view.round.targets;
    let about = child(bar, "div", &[("class", "round-story")], None)?;
    if view.round.settings.kind == Kind::Poker && targets.len() > 1 {
        let place = targets.iter().position(|t| *t == item).unwrap_or(0);
        button(
            &about,
            &[
                ("data-round", "prev"),
                ("data-key", "prev"),
                ("title", "Previous story (,)"),
            ],
            "‹",
        )?;
        let text = format!(
            "Story {} of {}: {}",
            place + 1,
            targets.len(),
            item_text(s, &item)
        );
        child(&about, "span", &[("id", "round-story")], Some(&text))?;
        button(
            &about,
            &[
                ("data-round", "next"),
                ("data-key", "next"),
                ("title", "Next story (.)"),
            ],
            "›",
        )?;
    } else {
        child(
            &about,
            "span",
            &[("id", "round-story")],
            Some(&item_text(s, &item)),
        )?;
    }
    let picker = child(
        bar,
        "div",
        &[
            ("id", "round-cards"),
            ("class", "round-cards"),
            ("role", "group"),
            ("aria-label", "Your card"),
        ],
        None,
    )?;
    let mine = view.mine.get(&item);
    let labels: Vec<String> = match view.round.settings.kind {
        Kind::FistToFive => (0..=5).map(|n| n.to_string()).collect(),
        _ => view
            .round
            .settings
            .scale
            .cards()
            .into_iter()
            .map(|c| c.label)
            .collect(),
    };
    for (place, label) in labels.iter().enumerate() {
        let chosen = match mine {
            Some(Choice::Fist(n)) => n.to_string() == *label,
            Some(Choice::Card(c)) => c == label,
            _ => false,
        };
        let key = match view.round.settings.kind {
            Kind::FistToFive => label.chars().next(),
            _ => ballot::digit_for_place(place),
        };
        let shown = if label == "coffee" {
            "☕".to_owned()
        } else {
            label.clone()
        };
        let title = match key {
            Some(k) => format!("{label} (key {k})"),
            None => label.clone(),
        };
        let data_key = format!("card-{label}");
        button(
            &picker,
            &[
                ("data-card", label),
                ("data-key", &data_key),
                ("class", "round-card"),
                ("title", &title),
                ("aria-label", &title),
                ("aria-pressed", if chosen { "true" } else { "false" }),
            ],
            &shown,
        )?;
    }
    Ok(())
}

/// Impact and effort pickers, one row per note of the round.
pub fn scores(s: &State, bar: &Element, view: &RoundView) -> Result<(), JsValue> {
    let list = child(
        bar,
        "div",
        &[("id", "round-scores"), ("class", "round-scores")],
        None,
    )?;
    for item in &view.round.targets {
        let row = child(&list, "div", &[("class", "round-score")], None)?;
        child(&row, "span", &[], Some(&item_text(s, item)))?;
        let (impact, effort) = match view.mine.get(item) {
            Some(Choice::Score { impact, effort }) => (Some(*impact), Some(*effort)),
            _ => (None, None),
        };
        for (axis, label, value) in [("impact", "Impact", impact), ("effort", "Effort", effort)] {
            let field = child(&row, "label", &[], Some(label))?;
            let key = format!("{axis}-{item}");
            let select = child(
                &field,
                "select",
                &[("data-item", item), ("data-axis", axis), ("data-key", &key)],
                None,
            )?;
            child(&select, "option", &[("value", "")], Some("–"))?;
            for n in 1..=5u8 {
                let v = n.to_string();
                let mut attrs = vec![("value", v.as_str())];
                if value == Some(n) {
                    attrs.push(("selected", ""));
                }
                child(&select, "option", &attrs, Some(&v))?;
            }
        }
    }
    Ok(())
}

/// Dot votes: every item of the round with your dots on it and buttons to add or take back
/// one, folded away (clicking the items on the canvas is quicker with a pointer).
pub fn dot_list(s: &State, bar: &Element, view: &RoundView) -> Result<(), JsValue> {
    let list = child(
        bar,
        "details",
        &[("id", "round-dot-list"), ("class", "round-scores")],
        None,
    )?;
    child(
        &list,
        "summary",
        &[("data-key", "dot-list")],
        Some("Vote from a list"),
    )?;
    for item in &view.round.targets {
        let row = child(&list, "div", &[("class", "round-score")], None)?;
        let text = item_text(s, item);
        child(&row, "span", &[], Some(&text))?;
        let mine = ballot::dots_on(view, item).to_string();
        child(&row, "output", &[("data-item", item)], Some(&mine))?;
        for (how, label, sign) in [
            ("add", "Add a dot to", "+"),
            ("remove", "Take a dot off", "−"),
        ] {
            let title = format!("{label} {text}");
            let key = format!("dot-{how}-{item}");
            button(
                &row,
                &[
                    ("data-dot", how),
                    ("data-item", item),
                    ("data-key", &key),
                    ("title", &title),
                    ("aria-label", &title),
                ],
                sign,
            )?;
        }
    }
    Ok(())
}
