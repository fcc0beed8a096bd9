//! The open round's bar (`#round-bar`): its kind and title, "N of M have voted", your dots
//! left, the deadline in your time, and for owners and editors Reveal and Cancel. Fist to
//! five and poker show cards to pick (digits pick them too); poker over several stories
//! steps through them (`,` and `.`); impact/effort shows two 1-5 pickers per note. The bar
//! is rebuilt from [`super::Rounds`] after every change, and gives the focus back to the
//! control that had it, so keyboard users keep their place.

use huddle_shared::rounds::{Choice, Command, Kind, RoundView};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, Event, HtmlElement, HtmlSelectElement};

use super::{Rounds, ballot, clock};
use crate::board::{Page, State};
use crate::dom::{Listener, button_of, child};

pub fn build(page: &Page, stage: &Element) -> Result<Element, JsValue> {
    let bar = child(
        stage,
        "div",
        &[
            ("id", "round-bar"),
            ("class", "round-bar"),
            ("role", "region"),
            ("aria-label", "Open round"),
            ("hidden", ""),
        ],
        None,
    )?;
    let weak = std::rc::Rc::downgrade(page);
    Listener::new(&bar, "click", move |e: Event| {
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
    Listener::new(&bar, "change", move |e: Event| {
        let Some(select) = e
            .target()
            .and_then(|t| t.dyn_into::<HtmlSelectElement>().ok())
        else {
            return;
        };
        if let Some(page) = weak.upgrade()
            && let Ok(mut s) = page.try_borrow_mut()
        {
            scored(&mut s, &select);
        }
    })?
    .forever();
    // Buttons must not keep the canvas's keys from working: they keep the focus only when
    // reached with Tab (a pointer press does not move it).
    Listener::new(&bar, "pointerdown", |e: Event| {
        if button_of(&e).is_some() {
            e.prevent_default();
        }
    })?
    .forever();
    Ok(bar)
}

/// The item the card picker is for: fist to five's proposal, or poker's current story.
pub fn current_item(rounds: &Rounds, view: &RoundView) -> Option<String> {
    let targets = &view.round.targets;
    match view.round.settings.kind {
        Kind::FistToFive => targets.first().cloned(),
        Kind::Poker => targets
            .get(rounds.story.min(targets.len().saturating_sub(1)))
            .cloned(),
        _ => None,
    }
}

/// Poker: the next (or previous) story.
pub fn step(s: &mut State, forward: bool) {
    let Some(n) = s
        .features
        .rounds
        .active_view()
        .map(|v| v.round.targets.len())
    else {
        return;
    };
    let r = &mut s.features.rounds;
    r.story = if forward {
        (r.story + 1).min(n.saturating_sub(1))
    } else {
        r.story.saturating_sub(1)
    };
    // Show the story: select it, so the canvas marks it.
    let item = r.active_view().and_then(|v| current_item(r, v));
    if let Some(item) = item {
        s.set_selection([item].into());
    }
    super::refresh(s);
}

fn clicked(s: &mut State, button: &Element) {
    let Some(view) = s.features.rounds.active_view() else {
        return;
    };
    let round = view.round.id.clone();
    let item = current_item(&s.features.rounds, view);
    if let (Some(how), Some(item)) = (
        button.get_attribute("data-dot"),
        button.get_attribute("data-item"),
    ) {
        super::click_item(s, &item, how == "remove");
        return;
    }
    if let Some(card) = button.get_attribute("data-card") {
        let choice = match view.round.settings.kind {
            Kind::FistToFive => card.parse::<u8>().ok().map(Choice::Fist),
            _ => Some(Choice::Card(card)),
        };
        if let (Some(item), Some(choice)) = (item, choice) {
            super::pick(s, &round, &item, choice);
        }
        return;
    }
    match button.get_attribute("data-round").as_deref() {
        Some("reveal") => {
            super::send(s, Command::Reveal { round });
        }
        Some("cancel") => {
            let sure = crate::dom::window()
                .ok()
                .and_then(|w| {
                    w.confirm_with_message(
                        "Cancel this round? Its ballots are dropped and no result is kept.",
                    )
                    .ok()
                })
                .unwrap_or(false);
            if sure {
                super::send(s, Command::Cancel { round });
            }
        }
        Some("prev") => step(s, false),
        Some("next") => step(s, true),
        Some("withdraw") => super::cast(s, &round, Default::default()),
        Some("switch") => {
            let r = &mut s.features.rounds;
            let open: Vec<String> = r
                .views
                .values()
                .filter(|v| v.round.status == huddle_shared::rounds::Status::Open)
                .map(|v| v.round.id.clone())
                .collect();
            let at = open
                .iter()
                .position(|id| Some(id) == r.active.as_ref())
                .map_or(0, |i| (i + 1) % open.len().max(1));
            r.active = open.get(at).cloned();
            r.story = 0;
            super::refresh(s);
        }
        _ => {}
    }
}

/// An impact or effort picker changed.
fn scored(s: &mut State, select: &HtmlSelectElement) {
    let (Some(item), Some(axis)) = (
        select.get_attribute("data-item"),
        select.get_attribute("data-axis"),
    ) else {
        return;
    };
    let Ok(value) = select.value().parse::<u8>() else {
        return;
    };
    let Some(view) = s.features.rounds.active_view() else {
        return;
    };
    let round = view.round.id.clone();
    let (impact, effort) = if axis == "impact" {
        (Some(value), None)
    } else {
        (None, Some(value))
    };
    if let Some(new) = ballot::score(view, &item, impact, effort) {
        super::cast(s, &round, new);
    }
}

/// The text of item `id` on the canvas, shortened for a label.
pub fn item_text(s: &State, id: &str) -> String {
    let text = s
        .scene
        .get(id)
        .map(|i| i.text.trim().to_owned())
        .unwrap_or_default();
    let text = if text.is_empty() {
        "(empty note)".to_owned()
    } else {
        text
    };
    let short: String = text.chars().take(60).collect();
    if short.len() < text.len() {
        format!("{short}…")
    } else {
        short
    }
}

/// Rebuilds the bar from what the page knows.
pub fn render(s: &mut State) {
    let Some(bar) = s.features.rounds.ui.as_ref().map(|u| u.bar.clone()) else {
        return;
    };
    let Some(view) = s.features.rounds.active_view().cloned() else {
        let _ = bar.set_attribute("hidden", "");
        bar.set_text_content(None);
        return;
    };
    let focused = s
        .doc
        .active_element()
        .filter(|el| bar.contains(Some(el)))
        .and_then(|el| el.get_attribute("data-key"));
    // The dot list stays open across updates.
    let list_open = bar
        .query_selector("#round-dot-list[open]")
        .ok()
        .flatten()
        .is_some();
    bar.set_text_content(None);
    let _ = bar.remove_attribute("hidden");
    let _ = bar.set_attribute("data-kind", kind_name(view.round.settings.kind));
    let _ = fill(s, &bar, &view);
    if list_open && let Ok(Some(list)) = bar.query_selector("#round-dot-list") {
        let _ = list.set_attribute("open", "");
    }
    if let Some(key) = focused
        && let Ok(Some(el)) = bar.query_selector(&format!("[data-key=\"{key}\"]"))
        && let Ok(el) = el.dyn_into::<HtmlElement>()
    {
        let _ = el.focus();
    }
}

pub fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Dots => "dots",
        Kind::FistToFive => "fist_to_five",
        Kind::Poker => "poker",
        Kind::ImpactEffort => "impact_effort",
    }
}

pub(super) fn button(
    parent: &Element,
    attrs: &[(&str, &str)],
    text: &str,
) -> Result<Element, JsValue> {
    let mut all = vec![("type", "button")];
    all.extend_from_slice(attrs);
    child(parent, "button", &all, Some(text))
}

fn fill(s: &State, bar: &Element, view: &RoundView) -> Result<(), JsValue> {
    let settings = &view.round.settings;
    let head = child(bar, "div", &[("class", "round-head")], None)?;
    let mut what = settings.kind.label().to_owned();
    if !settings.title.is_empty() {
        what = format!("{what}: {}", settings.title);
    }
    if settings.anonymous {
        what.push_str(" (anonymous)");
    }
    child(&head, "strong", &[("id", "round-what")], Some(&what))?;
    let progress = format!("{} of {} have voted", view.voted, view.of);
    child(&head, "span", &[("id", "round-progress")], Some(&progress))?;
    if let (Some(left), true) = (view.left, view.can_vote) {
        let text = format!("{left} of {} dots left", settings.budget);
        child(&head, "span", &[("id", "round-left")], Some(&text))?;
    }
    if let Some(deadline) = settings.deadline {
        let text = format!("Closes {}", clock::local(deadline));
        child(&head, "span", &[("id", "round-deadline")], Some(&text))?;
    }
    if !view.can_vote {
        child(
            &head,
            "span",
            &[("id", "round-look-only")],
            Some("You can follow this round but not vote."),
        )?;
    }
    let open = s
        .features
        .rounds
        .views
        .values()
        .filter(|v| v.round.status == huddle_shared::rounds::Status::Open)
        .count();
    if open > 1 {
        button(
            &head,
            &[("data-round", "switch"), ("data-key", "switch")],
            &format!("Next open round ({open})"),
        )?;
    }
    // Revealing and cancelling are the facilitator's (the server refuses anyone else).
    if crate::board::facilitation::facilitates(s) {
        button(
            &head,
            &[
                ("data-round", "reveal"),
                ("id", "round-reveal"),
                ("data-key", "reveal"),
            ],
            "Reveal",
        )?;
        button(
            &head,
            &[
                ("data-round", "cancel"),
                ("id", "round-cancel"),
                ("data-key", "cancel"),
            ],
            "Cancel round",
        )?;
    }
    if !view.can_vote {
        return Ok(());
    }
    match settings.kind {
        Kind::Dots => {
            let hint = "Click an item: a dot (D: the selection). Shift+click or Alt+click: one \
                        off (Shift+D).";
            let tools = child(bar, "div", &[("class", "round-tools")], None)?;
            child(&tools, "span", &[("class", "round-hint")], Some(hint))?;
            if !view.mine.is_empty() {
                button(
                    &tools,
                    &[("data-round", "withdraw"), ("data-key", "withdraw")],
                    "Take all my dots back",
                )?;
            }
            super::picker::dot_list(s, bar, view)?;
        }
        Kind::FistToFive | Kind::Poker => super::picker::cards(s, bar, view)?,
        Kind::ImpactEffort => super::picker::scores(s, bar, view)?,
    }
    Ok(())
}
