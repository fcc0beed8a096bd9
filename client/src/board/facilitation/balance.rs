//! The contribution balance: per person, what they wrote and did in the session (notes,
//! words, edits, ballots, dissent, comments), as the server counted it from what it received
//! (never from what a page says about itself), quiet ones first, as the server sends it.
//! Small bars, so the facilitator sees at a glance whom to invite in. Shown to the
//! facilitator, and to everyone while the facilitator shares it (`public.balance_public`,
//! the *Show to everyone* toggle).

use huddle_shared::facilitation::{Command, Contribution};
use wasm_bindgen::prelude::*;
use web_sys::Element;

use super::{facilitates, panel};
use crate::board::State;
use crate::dom::child;

/// The server sent the balance since `since` (quiet ones first).
pub fn on_balance(s: &mut State, since: u64, people: Vec<Contribution>) {
    s.features.facilitation.balance = Some((since, people));
}

/// A click on the balance's toggle; `false` if `act` is not the balance's.
pub fn clicked(s: &mut State, act: &str) -> bool {
    if act != "balance-share" {
        return false;
    }
    let everyone = !s.features.facilitation.public.balance_public;
    super::send(s, Command::ShareBalance { everyone });
    true
}

/// A bar's width in percent of the widest: the loudest person fills the row; someone who
/// did nothing still gets a sliver, so their row reads as a bar.
pub fn width(weight: u64, max: u64) -> f64 {
    if max == 0 {
        return 2.0;
    }
    (weight as f64 / max as f64 * 100.0).clamp(2.0, 100.0)
}

/// What a person's bar says on hover.
pub fn summary(c: &Contribution) -> String {
    let mut parts = vec![
        format!("{} notes", c.notes),
        format!("{} words", c.words),
        format!("{} edits", c.edits),
        format!("{} ballots", c.ballots),
    ];
    if c.dissent > 0 {
        parts.push(format!("{} dissent", c.dissent));
    }
    if c.comments > 0 {
        parts.push(format!("{} comments", c.comments));
    }
    if !c.present {
        parts.push("not here now".to_owned());
    }
    parts.join(", ")
}

pub fn render(s: &mut State) {
    let fac = facilitates(s);
    let public = s.features.facilitation.public.balance_public;
    let visible = fac || public;
    let balance = s.features.facilitation.balance.clone();
    let key =
        serde_json::to_string(&(fac, public, visible.then_some(&balance))).unwrap_or_default();
    if !panel::changed(s, "fac-balance", key) {
        return;
    }
    let Some(box_) = panel::section(s, "fac-balance") else {
        return;
    };
    box_.set_text_content(None);
    if !visible {
        return;
    }
    if let Err(err) = draw(&box_, fac, public, balance.as_ref()) {
        crate::dom::log_error("could not draw the balance", &err);
    }
}

fn draw(
    box_: &Element,
    fac: bool,
    public: bool,
    balance: Option<&(u64, Vec<Contribution>)>,
) -> Result<(), JsValue> {
    child(box_, "h3", &[], Some("Contribution balance"))?;
    let Some((since, people)) = balance else {
        child(
            box_,
            "p",
            &[("class", "muted")],
            Some("Waiting for the server's counts…"),
        )?;
        return Ok(());
    };
    let head = format!("Since {}, quiet ones first", panel::local_time(*since));
    child(box_, "p", &[("class", "muted")], Some(&head))?;
    let max = people.iter().map(Contribution::weight).max().unwrap_or(0);
    let ol = child(
        box_,
        "ol",
        &[("id", "fac-balance-list"), ("class", "fac-balance")],
        None,
    )?;
    for c in people {
        let li = child(
            &ol,
            "li",
            &[
                ("data-person", &c.person),
                ("data-weight", &c.weight().to_string()),
                ("title", &summary(c)),
            ],
            None,
        )?;
        child(&li, "span", &[("class", "fac-balance-name")], Some(&c.name))?;
        let track = child(&li, "span", &[("class", "fac-bar")], None)?;
        let style = format!("width: {:.0}%", width(c.weight(), max));
        child(
            &track,
            "span",
            &[("class", "fac-bar-fill"), ("style", &style)],
            None,
        )?;
    }
    if fac {
        let (label, title) = if public {
            ("Hide from everyone", "Show the balance to you only")
        } else {
            (
                "Show to everyone",
                "Let everyone on the board see the balance",
            )
        };
        child(
            box_,
            "button",
            &[
                ("type", "button"),
                ("data-act", "balance-share"),
                ("id", "fac-balance-share"),
                ("title", title),
                ("aria-pressed", if public { "true" } else { "false" }),
            ],
            Some(label),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_loudest_and_never_vanish() {
        assert_eq!(width(10, 10), 100.0);
        assert_eq!(width(5, 10), 50.0);
        assert_eq!(width(0, 10), 2.0);
        assert_eq!(width(0, 0), 2.0);
        let quiet = Contribution {
            name: "Ana".into(),
            present: false,
            ..Default::default()
        };
        assert_eq!(
            summary(&quiet),
            "0 notes, 0 words, 0 edits, 0 ballots, not here now"
        );
    }
}
