//! The agenda in the facilitator panel. Everyone sees the steps (kind, title, minutes) with
//! the running one marked. The facilitator edits a draft (kind from `StepKind::ALL`, title,
//! minutes; add, remove, move up and down), sends it with *Save agenda* (`agenda_set`), and
//! runs it with *Start* (the first step), *Next* and *Stop*. The draft stays in the page
//! until the document holds new steps (then the editor shows those). A dot-vote or estimate
//! step is on every note (or story) on the board when it starts, or on the items that were
//! selected when the facilitator pressed its *Use selection*.
//!
//! This file: the draft and what the editor's fields and buttons do, and the list everyone
//! sees; `editor`: the facilitator's editor.

use huddle_shared::facilitation::{Command, MAX_MINUTES, MAX_STEPS, Step, StepKind};
use huddle_shared::rounds::Scope;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlInputElement, HtmlSelectElement};

use super::{facilitates, panel};
use crate::board::{State, role};
use crate::dom::child;

mod editor;

/// Minutes of a step added with "+ Step".
const NEW_STEP_MINUTES: u32 = 5;

/// Where a kind is named in the editor's `<select>` (its serde name).
pub fn kind_value(kind: StepKind) -> &'static str {
    match kind {
        StepKind::WritePrivately => "write_privately",
        StepKind::Cluster => "cluster",
        StepKind::DotVote => "dot_vote",
        StepKind::Discuss => "discuss",
        StepKind::Estimate => "estimate",
        StepKind::Decide => "decide",
        StepKind::Free => "free",
    }
}

fn kind_of(value: &str) -> Option<StepKind> {
    StepKind::ALL.into_iter().find(|k| kind_value(*k) == value)
}

fn new_step(kind: StepKind) -> Step {
    Step {
        kind,
        title: String::new(),
        minutes: NEW_STEP_MINUTES,
        targets: Vec::new(),
        scope: Scope::default(),
        settings: None,
    }
}

/// The steps the editor shows: the draft, or else the document's.
pub(super) fn steps(s: &State) -> Vec<Step> {
    let f = &s.features.facilitation;
    f.draft
        .clone()
        .unwrap_or_else(|| f.public.agenda.steps.clone())
}

fn draft(s: &mut State) -> &mut Vec<Step> {
    let f = &mut s.features.facilitation;
    f.draft.get_or_insert_with(|| f.public.agenda.steps.clone())
}

/// A field of the editor changed: the draft follows (no redraw, so typing goes on).
pub fn edited(s: &mut State, field: &Element) {
    let (Some(i), Some(what)) = (
        field
            .get_attribute("data-i")
            .and_then(|i| i.parse::<usize>().ok()),
        field.get_attribute("data-field"),
    ) else {
        return;
    };
    let value = if let Some(input) = field.dyn_ref::<HtmlInputElement>() {
        input.value()
    } else if let Some(select) = field.dyn_ref::<HtmlSelectElement>() {
        select.value()
    } else {
        return;
    };
    let Some(step) = draft(s).get_mut(i) else {
        return;
    };
    match what.as_str() {
        "kind" => {
            if let Some(kind) = kind_of(&value) {
                step.kind = kind;
            }
        }
        "title" => step.title = value,
        "minutes" => {
            if let Ok(m) = value.trim().parse::<u32>() {
                step.minutes = m.clamp(1, MAX_MINUTES);
            }
        }
        _ => {}
    }
    if let Some(note) = s.doc.get_element_by_id("fac-agenda-unsaved") {
        let _ = note.remove_attribute("hidden");
    }
}

/// A click on one of the agenda's buttons; `false` if `act` is not the agenda's.
pub fn clicked(s: &mut State, act: &str, button: &Element) -> bool {
    let i = button
        .get_attribute("data-i")
        .and_then(|i| i.parse::<usize>().ok());
    match (act, i) {
        ("agenda-add", _) => {
            if steps(s).len() >= MAX_STEPS {
                role::notice(s, "An agenda has at most 30 steps.");
                return true;
            }
            draft(s).push(new_step(StepKind::Discuss));
            reshaped(s);
        }
        ("step-remove", Some(i)) => {
            let d = draft(s);
            if i < d.len() {
                d.remove(i);
            }
            reshaped(s);
        }
        ("step-up", Some(i)) | ("step-down", Some(i)) => {
            let j = if act == "step-up" {
                i.checked_sub(1)
            } else {
                Some(i + 1)
            };
            let d = draft(s);
            if let Some(j) = j.filter(|j| *j < d.len() && i < d.len()) {
                d.swap(i, j);
            }
            reshaped(s);
        }
        ("step-targets", Some(i)) => {
            let selection: Vec<String> = s.selection.ids.iter().cloned().collect();
            if let Some(step) = draft(s).get_mut(i) {
                step.targets = selection;
            }
            reshaped(s);
        }
        ("agenda-save", _) => {
            let steps = steps(s);
            if let Some(bad) = steps.iter().find_map(|st| st.check().err()) {
                role::notice(s, &bad);
                return true;
            }
            super::send(s, Command::AgendaSet { steps });
        }
        ("agenda-start", _) => {
            super::send(s, Command::AgendaStart { step: 0 });
        }
        ("step-start", Some(step)) => {
            super::send(s, Command::AgendaStart { step });
        }
        ("agenda-next", _) => {
            super::send(s, Command::AgendaNext);
        }
        ("agenda-stop", _) => {
            super::send(s, Command::AgendaStop);
        }
        _ => return false,
    }
    true
}

fn reshaped(s: &mut State) {
    s.features.facilitation.draft_version += 1;
    render(s);
}

/// Redraws the agenda when the document's agenda, the draft's shape or the role changed.
pub fn render(s: &mut State) {
    let fac = facilitates(s);
    let agenda = s.features.facilitation.public.agenda.clone();
    let key = serde_json::to_string(&(fac, &agenda, s.features.facilitation.draft_version))
        .unwrap_or_default();
    if !panel::changed(s, "fac-agenda", key) {
        return;
    }
    let Some(box_) = panel::section(s, "fac-agenda") else {
        return;
    };
    box_.set_text_content(None);
    let result = if fac {
        editor::draw(s, &box_)
    } else {
        list(s, &box_)
    };
    if let Err(err) = result {
        crate::dom::log_error("could not draw the agenda", &err);
    }
}

/// The agenda as everyone sees it.
fn list(s: &State, box_: &Element) -> Result<(), JsValue> {
    let agenda = &s.features.facilitation.public.agenda;
    if agenda.steps.is_empty() {
        child(box_, "p", &[("class", "muted")], Some("No agenda yet."))?;
        return Ok(());
    }
    let ol = child(
        box_,
        "ol",
        &[("id", "fac-steps"), ("class", "fac-steps")],
        None,
    )?;
    for (i, step) in agenda.steps.iter().enumerate() {
        let current = agenda.current == Some(i);
        let li = child(
            &ol,
            "li",
            &[
                ("data-step", &i.to_string()),
                (
                    "class",
                    if current {
                        "fac-step current"
                    } else {
                        "fac-step"
                    },
                ),
            ],
            None,
        )?;
        child(
            &li,
            "span",
            &[("class", "fac-step-title")],
            Some(step.shown_title()),
        )?;
        // The kind is said once: as the title when the step has none.
        let meta = if step.title.trim().is_empty() {
            format!("{} min", step.minutes)
        } else {
            format!("{} · {} min", step.kind.label(), step.minutes)
        };
        child(&li, "span", &[("class", "muted")], Some(&meta))?;
        if current {
            child(&li, "span", &[("class", "fac-now")], Some("now"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_values_are_the_wire_names() {
        for kind in StepKind::ALL {
            let json = serde_json::to_string(&kind).expect("a kind serialises");
            assert_eq!(json, format!("\"{}\"", kind_value(kind)));
            assert_eq!(kind_of(kind_value(kind)), Some(kind));
        }
        assert_eq!(kind_of("nap"), None);
    }
}
