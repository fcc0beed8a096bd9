//! The facilitator's agenda editor: a row per step (kind, title, minutes, the vote's targets;
//! move, remove, start) and the buttons under it (+ Step, Save agenda, Start, Next, Stop).

use huddle_shared::facilitation::{Step, StepKind};
use wasm_bindgen::prelude::*;
use web_sys::Element;

use super::{kind_value, steps};
use crate::board::State;
use crate::dom::child;

/// The facilitator's editor and Start / Next / Stop.
pub(super) fn draw(s: &State, box_: &Element) -> Result<(), JsValue> {
    let agenda = &s.features.facilitation.public.agenda;
    let steps = steps(s);
    let ol = child(
        box_,
        "ol",
        &[("id", "fac-steps"), ("class", "fac-steps editing")],
        None,
    )?;
    for (i, step) in steps.iter().enumerate() {
        let n = i.to_string();
        let current = agenda.current == Some(i) && s.features.facilitation.draft.is_none();
        let li = child(
            &ol,
            "li",
            &[
                ("data-step", &n),
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
        let select = child(
            &li,
            "select",
            &[
                ("data-i", &n),
                ("data-field", "kind"),
                ("class", "fac-kind"),
                ("aria-label", "Kind of step"),
                (
                    "title",
                    "What the step is for (starting it arms what it needs)",
                ),
            ],
            None,
        )?;
        for kind in StepKind::ALL {
            let value = kind_value(kind);
            let opt = child(&select, "option", &[("value", value)], Some(kind.label()))?;
            if kind == step.kind {
                opt.set_attribute("selected", "")?;
            }
        }
        child(
            &li,
            "input",
            &[
                ("data-i", &n),
                ("data-field", "title"),
                ("class", "fac-title"),
                ("type", "text"),
                ("maxlength", "200"),
                ("placeholder", step.kind.label()),
                ("value", &step.title),
                ("aria-label", "Title"),
                ("title", "The step's title (empty: its kind)"),
            ],
            None,
        )?;
        child(
            &li,
            "input",
            &[
                ("data-i", &n),
                ("data-field", "minutes"),
                ("class", "fac-minutes"),
                ("type", "number"),
                ("min", "1"),
                ("max", "480"),
                ("value", &step.minutes.to_string()),
                ("aria-label", "Minutes"),
                ("title", "The step's timebox in minutes"),
            ],
            None,
        )?;
        let tools = child(&li, "span", &[("class", "fac-step-tools")], None)?;
        for (act, label, title) in [
            ("step-up", "↑", "Move the step up"),
            ("step-down", "↓", "Move the step down"),
            ("step-remove", "×", "Remove the step"),
            (
                "step-start",
                "▶",
                "Start this step now (save the agenda first)",
            ),
        ] {
            child(
                &tools,
                "button",
                &[
                    ("type", "button"),
                    ("data-act", act),
                    ("data-i", &n),
                    ("title", title),
                    ("aria-label", title),
                ],
                Some(label),
            )?;
        }
        if step.kind.round_kind().is_some() {
            targets(&li, step, &n)?;
        }
        if current {
            child(&li, "span", &[("class", "fac-now")], Some("now"))?;
        }
    }
    let row = child(box_, "div", &[("class", "result-actions")], None)?;
    for (act, label, title) in [
        ("agenda-add", "+ Step", "Add a step to the agenda"),
        (
            "agenda-save",
            "Save agenda",
            "Send the agenda to everyone (stops it if it runs)",
        ),
    ] {
        button(&row, act, label, title)?;
    }
    let run = child(box_, "div", &[("class", "result-actions")], None)?;
    let running = agenda.current.is_some();
    for (act, label, title) in [
        (
            "agenda-start",
            "Start",
            "Start the agenda's first step and its timer",
        ),
        ("agenda-next", "Next", "End this step and start the next"),
        ("agenda-stop", "Stop", "End this step and stop the agenda"),
    ] {
        let b = button(&run, act, label, title)?;
        let off = match act {
            "agenda-start" => agenda.steps.is_empty(),
            _ => !running,
        };
        if off {
            b.set_attribute("disabled", "")?;
        }
    }
    let unsaved = child(
        box_,
        "p",
        &[("class", "muted"), ("id", "fac-agenda-unsaved")],
        Some("Changes not saved yet."),
    )?;
    if s.features.facilitation.draft.is_none() {
        unsaved.set_attribute("hidden", "")?;
    }
    Ok(())
}

fn button(parent: &Element, act: &str, label: &str, title: &str) -> Result<Element, JsValue> {
    child(
        parent,
        "button",
        &[
            ("type", "button"),
            ("data-act", act),
            ("id", &format!("fac-{act}")),
            ("title", title),
        ],
        Some(label),
    )
}

/// What a vote or estimate step's round will be on, and the button that puts the selection
/// there (with nothing selected: back to the whole board).
fn targets(li: &Element, step: &Step, n: &str) -> Result<(), JsValue> {
    let on = match (step.targets.len(), step.kind) {
        (0, StepKind::Estimate) => "On every story".to_owned(),
        (0, _) => "On every note".to_owned(),
        (1, _) => "On 1 item".to_owned(),
        (k, _) => format!("On {k} items"),
    };
    let row = child(li, "span", &[("class", "fac-targets muted")], Some(&on))?;
    child(
        &row,
        "button",
        &[
            ("type", "button"),
            ("data-act", "step-targets"),
            ("data-i", n),
            (
                "title",
                "The round will be on the items selected now (nothing selected: the whole board)",
            ),
        ],
        Some("Use selection"),
    )?;
    Ok(())
}
