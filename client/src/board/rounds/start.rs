//! The Vote dialog (`V`, or the toolbar's *Vote*): starts a round on the selection (a
//! selected frame's notes, or every note on the board when nothing is selected) with its
//! settings. The page checks the settings with the rules the server uses
//! (`Round::check_new`) to say early what is wrong; the server checks them again.
//!
//! Ids the tests use: `#vote-dialog`, `#vote-kind`, `#vote-title`, `#vote-budget`,
//! `#vote-cap`, `#vote-scale`, `#vote-cards`, `#vote-anonymous`, `#vote-deadline`,
//! `#vote-target`, `#vote-error`, `#vote-start`, `#vote-cancel`.

use huddle_shared::model::ItemKind;
use huddle_shared::rounds::{Command, Kind, Round, Scale, Scope, Settings};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, Event, HtmlElement, HtmlInputElement, HtmlSelectElement, KeyboardEvent};

use super::clock;
use crate::board::{Page, State};
use crate::dom::{Listener, child};

/// The kinds offered, with the names the `<select>` uses.
const KINDS: [(&str, Kind); 4] = [
    ("dots", Kind::Dots),
    ("fist_to_five", Kind::FistToFive),
    ("poker", Kind::Poker),
    ("impact_effort", Kind::ImpactEffort),
];

pub fn build(page: &Page, stage: &Element) -> Result<Element, JsValue> {
    let dialog = child(
        stage,
        "div",
        &[
            ("id", "vote-dialog"),
            ("class", "vote-dialog"),
            ("role", "dialog"),
            ("aria-labelledby", "vote-dialog-title"),
            ("hidden", ""),
        ],
        None,
    )?;
    child(
        &dialog,
        "h2",
        &[("id", "vote-dialog-title")],
        Some("Start a round"),
    )?;
    let form = child(&dialog, "form", &[("id", "vote-form")], None)?;
    let field = |label: &str, class: &str| -> Result<Element, JsValue> {
        child(&form, "label", &[("class", class)], Some(label))
    };
    let kind = child(
        &field("Kind", "vote-field")?,
        "select",
        &[("id", "vote-kind")],
        None,
    )?;
    for (name, k) in KINDS {
        child(&kind, "option", &[("value", name)], Some(k.label()))?;
    }
    child(
        &field("What is being decided", "vote-field")?,
        "input",
        &[("id", "vote-title"), ("type", "text"), ("maxlength", "200")],
        None,
    )?;
    child(
        &field("Dots per person", "vote-field for-dots")?,
        "input",
        &[
            ("id", "vote-budget"),
            ("type", "number"),
            ("min", "1"),
            ("max", "100"),
            ("value", "3"),
        ],
        None,
    )?;
    child(
        &field("Most dots per item", "vote-field for-dots")?,
        "input",
        &[
            ("id", "vote-cap"),
            ("type", "number"),
            ("min", "1"),
            ("max", "100"),
            ("placeholder", "no cap"),
        ],
        None,
    )?;
    let scale = child(
        &field("Deck", "vote-field for-poker")?,
        "select",
        &[("id", "vote-scale")],
        None,
    )?;
    for (value, label) in [
        ("fibonacci", "Fibonacci 0 1 2 3 5 8 13 21"),
        ("t_shirt", "T-shirt XS S M L XL (1 2 3 5 8 points)"),
        ("custom", "Custom"),
    ] {
        child(&scale, "option", &[("value", value)], Some(label))?;
    }
    child(
        &field("Custom cards (comma-separated)", "vote-field for-poker")?,
        "input",
        &[
            ("id", "vote-cards"),
            ("type", "text"),
            ("placeholder", "1, 2, 4, 8"),
        ],
        None,
    )?;
    let anon = field("Anonymous (results carry no names)", "vote-check")?;
    anon.insert_adjacent_element(
        "afterbegin",
        &crate::dom::element(
            &crate::dom::document()?,
            "input",
            &[("id", "vote-anonymous"), ("type", "checkbox")],
            None,
        )?,
    )?;
    child(
        &field("Closes by itself at (your time, optional)", "vote-field")?,
        "input",
        &[("id", "vote-deadline"), ("type", "datetime-local")],
        None,
    )?;
    child(
        &form,
        "p",
        &[("id", "vote-target"), ("class", "vote-target")],
        None,
    )?;
    child(
        &form,
        "p",
        &[
            ("id", "vote-error"),
            ("class", "story-error"),
            ("role", "alert"),
        ],
        None,
    )?;
    let buttons = child(&form, "div", &[("class", "vote-buttons")], None)?;
    child(
        &buttons,
        "button",
        &[("type", "submit"), ("id", "vote-start")],
        Some("Start"),
    )?;
    let cancel = child(
        &buttons,
        "button",
        &[("type", "button"), ("id", "vote-cancel")],
        Some("Cancel"),
    )?;

    let weak = std::rc::Rc::downgrade(page);
    Listener::new(&form, "submit", move |e: Event| {
        e.prevent_default();
        if let Some(page) = weak.upgrade()
            && let Ok(mut s) = page.try_borrow_mut()
        {
            submit(&mut s);
        }
    })?
    .forever();
    let weak = std::rc::Rc::downgrade(page);
    Listener::new(&form, "change", move |_| {
        if let Some(page) = weak.upgrade()
            && let Ok(s) = page.try_borrow()
        {
            show_fields(&s);
        }
    })?
    .forever();
    let weak = std::rc::Rc::downgrade(page);
    Listener::new(&cancel, "click", move |_| {
        if let Some(page) = weak.upgrade()
            && let Ok(s) = page.try_borrow()
        {
            hide(&s);
        }
    })?
    .forever();
    let weak = std::rc::Rc::downgrade(page);
    Listener::new(&dialog, "keydown", move |e: Event| {
        if e.dyn_ref::<KeyboardEvent>()
            .is_some_and(|k| k.key() == "Escape")
            && let Some(page) = weak.upgrade()
            && let Ok(s) = page.try_borrow()
        {
            e.stop_propagation();
            hide(&s);
        }
    })?
    .forever();
    Ok(dialog)
}

fn el<T: JsCast>(s: &State, id: &str) -> Option<T> {
    s.doc.get_element_by_id(id)?.dyn_into::<T>().ok()
}

fn kind_of(s: &State) -> Kind {
    let name = el::<HtmlSelectElement>(s, "vote-kind")
        .map(|k| k.value())
        .unwrap_or_default();
    KINDS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(Kind::Dots, |(_, k)| *k)
}

/// Shows only the fields of the chosen kind, and what the round would be on.
fn show_fields(s: &State) {
    let kind = kind_of(s);
    if let Some(dialog) = s.features.rounds.ui.as_ref().map(|u| &u.dialog) {
        let _ = dialog.set_attribute(
            "data-kind",
            KINDS
                .iter()
                .find(|(_, k)| *k == kind)
                .map_or("dots", |(n, _)| n),
        );
    }
    let (targets, scope, _) = targets(s, kind);
    let on = match scope {
        Scope::Board => format!("On every note of the board ({})", targets.len()),
        Scope::Frame(_) => format!("On the frame's notes ({})", targets.len()),
        _ => format!("On the selection ({} items)", targets.len()),
    };
    if let Some(p) = el::<Element>(s, "vote-target") {
        p.set_text_content(Some(&on));
    }
}

pub fn show(s: &mut State) {
    let Some(ui) = s.features.rounds.ui.as_ref() else {
        return;
    };
    let _ = ui.dialog.remove_attribute("hidden");
    if let Some(error) = el::<Element>(s, "vote-error") {
        error.set_text_content(None);
    }
    // What is decided and when it closes belong to one round; the kind and its settings
    // are kept for the next.
    for id in ["vote-title", "vote-deadline"] {
        if let Some(field) = el::<HtmlInputElement>(s, id) {
            field.set_value("");
        }
    }
    show_fields(s);
    if let Some(kind) = el::<HtmlElement>(s, "vote-kind") {
        let _ = kind.focus();
    }
}

fn hide(s: &State) {
    if let Some(ui) = s.features.rounds.ui.as_ref() {
        let _ = ui.dialog.set_attribute("hidden", "");
    }
    let _ = s.view.canvas.focus();
}

/// On a board made from the impact/effort template, the matrix: the box around its four
/// quadrant frames (the reveal places each note at the team's medians in it).
fn matrix_area(s: &State) -> Option<[f64; 4]> {
    let txn = huddle_shared::yrs::Transact::transact(s.board.doc());
    let matrix = huddle_shared::templates::Template::ImpactEffort.name();
    if s.board.template(&txn).as_deref() != Some(matrix) {
        return None;
    }
    let (mut x0, mut y0, mut x1, mut y1) = (
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    );
    for frame in s.scene.items().filter(|i| i.kind == ItemKind::Frame) {
        x0 = x0.min(frame.pos[0]);
        y0 = y0.min(frame.pos[1]);
        x1 = x1.max(frame.pos[0] + frame.size[0]);
        y1 = y1.max(frame.pos[1] + frame.size[1]);
    }
    (x1 > x0 && y1 > y0).then_some([x0, y0, x1 - x0, y1 - y0])
}

/// What a round of `kind` would be on now: its items (top to bottom, left to right, the
/// order poker steps through them), its scope, and for impact/effort the matrix's area.
fn targets(s: &State, kind: Kind) -> (Vec<String>, Scope, Option<[f64; 4]>) {
    let fits = |k: &ItemKind| match kind {
        Kind::Dots => matches!(k, ItemKind::Note | ItemKind::Frame),
        _ => *k == ItemKind::Note,
    };
    let mut one_frame = None;
    if s.selection.ids.len() == 1
        && let Some(item) = s.selection.ids.iter().next().and_then(|id| s.scene.get(id))
        && item.kind == ItemKind::Frame
    {
        one_frame = Some((item.id.clone(), item.rect()));
    }
    let (ids, scope): (Vec<String>, Scope) = if let Some((frame, _)) = &one_frame {
        let mut contents = crate::board::actions::with_frame_contents(s, &s.selection.ids);
        contents.retain(|id| id != frame);
        (contents, Scope::Frame(frame.clone()))
    } else if !s.selection.ids.is_empty() {
        (s.selection.ids.iter().cloned().collect(), Scope::Selection)
    } else {
        let all = s
            .scene
            .items()
            .filter(|i| i.kind == ItemKind::Note)
            .map(|i| i.id.clone())
            .collect();
        (all, Scope::Board)
    };
    let mut items: Vec<(&String, [f64; 2])> = ids
        .iter()
        .filter_map(|id| {
            let item = s.scene.get(id)?;
            fits(&item.kind).then_some((id, item.pos))
        })
        .collect();
    huddle_shared::sort::sort_by(&mut items, |a, b| {
        a.1[1].total_cmp(&b.1[1]).then(a.1[0].total_cmp(&b.1[0]))
    });
    let area = (kind == Kind::ImpactEffort)
        .then(|| match &one_frame {
            Some((_, r)) => Some([r[0], r[1], r[2], r[3]]),
            None => matrix_area(s),
        })
        .flatten();
    (
        items.into_iter().map(|(id, _)| id.clone()).collect(),
        scope,
        area,
    )
}

/// Reads the form into settings; `Err` says what is wrong.
fn settings(s: &State, kind: Kind) -> Result<Settings, String> {
    let mut settings = Settings::new(kind);
    let value = |id: &str| {
        el::<HtmlInputElement>(s, id)
            .map(|i| i.value())
            .unwrap_or_default()
    };
    settings.title = value("vote-title").trim().to_owned();
    settings.anonymous = el::<HtmlInputElement>(s, "vote-anonymous").is_some_and(|c| c.checked());
    let deadline = value("vote-deadline");
    settings.deadline = clock::parse_local(&deadline);
    if !deadline.trim().is_empty() && settings.deadline.is_none() {
        return Err("The deadline is not a date and time.".into());
    }
    if kind == Kind::Dots {
        settings.budget = value("vote-budget")
            .trim()
            .parse()
            .map_err(|_| "Dots per person: a whole number from 1 to 100.".to_owned())?;
        let cap = value("vote-cap");
        settings.cap = match cap.trim() {
            "" => None,
            c => Some(c.parse().map_err(|_| {
                "Most dots per item: a whole number, or empty for no cap.".to_owned()
            })?),
        };
    }
    if kind == Kind::Poker {
        let scale = el::<HtmlSelectElement>(s, "vote-scale")
            .map(|k| k.value())
            .unwrap_or_default();
        settings.scale = match scale.as_str() {
            "t_shirt" => Scale::TShirt,
            "custom" => Scale::Custom(
                value("vote-cards")
                    .split(',')
                    .map(|c| c.trim().to_owned())
                    .filter(|c| !c.is_empty())
                    .collect(),
            ),
            _ => Scale::Fibonacci,
        };
    }
    Ok(settings)
}

fn submit(s: &mut State) {
    let kind = kind_of(s);
    let error = |s: &State, text: &str| {
        if let Some(p) = el::<Element>(s, "vote-error") {
            p.set_text_content(Some(text));
        }
    };
    let settings = match settings(s, kind) {
        Ok(settings) => settings,
        Err(why) => return error(s, &why),
    };
    let (targets, scope, area) = targets(s, kind);
    let kinds: Vec<(String, Option<ItemKind>)> = targets
        .iter()
        .map(|id| (id.clone(), s.scene.get(id).map(|i| i.kind.clone())))
        .collect();
    if let Err(why) = Round::check_new(&settings, &kinds, area, clock::now()) {
        let hint = match why {
            huddle_shared::rounds::RoundError::OneTarget(_) => {
                " Select the one proposal note first."
            }
            huddle_shared::rounds::RoundError::NoTargets => {
                " Select notes first (or none, for the whole board)."
            }
            _ => "",
        };
        return error(s, &format!("Cannot start: {why}.{hint}"));
    }
    let cmd = Command::Open {
        settings,
        targets,
        scope,
        area,
    };
    if super::send(s, cmd) {
        hide(s);
    } else {
        error(s, "Not connected to the server.");
    }
}
