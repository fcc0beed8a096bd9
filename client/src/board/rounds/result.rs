//! A revealed round's result in the side panel, as the document holds it: dot counts,
//! fist-to-five and poker spreads (poker's lowest and highest cards marked: they speak
//! first), impact/effort medians and ranges, dissent; and poker's *Accept*, which writes the
//! estimate into the story in one local transaction (one undo step) and tells the server.

use huddle_shared::model::StoryFields;
use huddle_shared::rounds::{Command, Kind, RoundResult, Status};
use wasm_bindgen::prelude::*;
use web_sys::Element;

use super::{bar, clock};
use crate::board::{State, role};
use crate::dom::child;

/// Accepts `card` as `item`'s estimate: the story's estimate written in one local
/// transaction (one undo step), then the server told.
pub fn accept(s: &mut State, round: &str, item: &str, card: &str) {
    let Some(points) = s
        .features
        .rounds
        .results
        .get(round)
        .and_then(|r| r.round.settings.scale.card(card))
        .and_then(|c| c.points)
    else {
        role::notice(s, "That card has no points to accept.");
        return;
    };
    let written = {
        let mut txn = s.local_txn();
        let fields = s.board.story_fields(&txn, item);
        fields.and_then(|f| {
            let fields = StoryFields {
                estimate: Some(points),
                ..f
            };
            s.board.set_story_fields(&mut txn, item, &fields)
        })
    };
    match written {
        Ok(()) => {
            s.after_gesture();
            super::send(
                s,
                Command::Accept {
                    round: round.to_owned(),
                    item: item.to_owned(),
                    card: card.to_owned(),
                },
            );
        }
        Err(err) => role::notice(s, &format!("Could not write the estimate: {err}")),
    }
}

/// Fills `box_` with the result the panel shows (and a picker of the revealed rounds).
pub fn render(s: &State, box_: &Element) -> Result<(), JsValue> {
    let Some(res) = super::panel::shown(s) else {
        child(
            box_,
            "p",
            &[("class", "muted")],
            Some("No round has been revealed yet."),
        )?;
        return Ok(());
    };
    let mut revealed: Vec<&RoundResult> = s
        .features
        .rounds
        .results
        .values()
        .filter(|r| r.round.status == Status::Revealed)
        .collect();
    huddle_shared::sort::sort_by_key(&mut revealed, |r| {
        std::cmp::Reverse(r.round.closed_at.unwrap_or(r.round.opened_at))
    });
    if revealed.len() > 1 {
        let pick = child(
            box_,
            "select",
            &[("id", "result-pick"), ("aria-label", "Which round")],
            None,
        )?;
        for r in &revealed {
            let label = format!(
                "{} {} · {}",
                r.round.settings.kind.label(),
                r.round.settings.title,
                clock::local(r.round.closed_at.unwrap_or(r.round.opened_at))
            );
            let mut attrs = vec![("value", r.round.id.as_str())];
            if r.round.id == res.round.id {
                attrs.push(("selected", ""));
            }
            child(&pick, "option", &attrs, Some(&label))?;
        }
    }
    let round = &res.round;
    let _ = box_.set_attribute("data-round", &round.id);
    let _ = box_.set_attribute("data-kind", bar::kind_name(round.settings.kind));
    let mut head = round.settings.kind.label().to_owned();
    if !round.settings.title.is_empty() {
        head = format!("{head}: {}", round.settings.title);
    }
    child(box_, "h3", &[], Some(&head))?;
    let closed = round.closed_at.map(clock::local).unwrap_or_default();
    let mut who = format!("{} voted, revealed {closed}", res.voters);
    if res.by_deadline {
        who.push_str(" (at its deadline)");
    }
    if !res.participants.is_empty() {
        who = format!("{who}: {}", res.participants.join(", "));
    }
    child(box_, "p", &[("class", "muted")], Some(&who))?;
    let list = child(box_, "ul", &[("class", "result-items")], None)?;
    let mut items: Vec<(&String, &huddle_shared::rounds::ItemResult)> = res.items.iter().collect();
    if round.settings.kind == Kind::Dots {
        huddle_shared::sort::sort_by_key(&mut items, |(_, r)| std::cmp::Reverse(r.votes));
    } else {
        huddle_shared::sort::sort_by_key(&mut items, |(id, _)| {
            round.targets.iter().position(|t| t == *id)
        });
    }
    for (id, r) in items {
        let li = child(&list, "li", &[("data-item", id)], None)?;
        child(
            &li,
            "span",
            &[("class", "result-name")],
            Some(&bar::item_text(s, id)),
        )?;
        match round.settings.kind {
            Kind::Dots => {
                child(
                    &li,
                    "span",
                    &[("class", "result-votes")],
                    Some(&format!("{} dots", r.votes)),
                )?;
            }
            Kind::FistToFive => spread(&li, r, &[])?,
            Kind::Poker => {
                // When everyone agrees, nobody is an outlier.
                let outliers: Vec<&str> = [r.low.as_deref(), r.high.as_deref()]
                    .into_iter()
                    .flatten()
                    .filter(|_| r.low != r.high)
                    .collect();
                spread(&li, r, &outliers)?;
                if let Some(card) = res.accepted.get(id) {
                    child(
                        &li,
                        "span",
                        &[("class", "result-accepted")],
                        Some(&format!("Accepted: {card}")),
                    )?;
                }
                if s.may_edit() {
                    for card in r.spread.keys() {
                        let has_points = round
                            .settings
                            .scale
                            .card(card)
                            .is_some_and(|c| c.points.is_some());
                        if has_points {
                            child(
                                &li,
                                "button",
                                &[
                                    ("type", "button"),
                                    ("data-act", "accept"),
                                    ("data-item", id),
                                    ("data-card", card),
                                    ("class", "accept"),
                                ],
                                Some(&format!("Accept {card}")),
                            )?;
                        }
                    }
                }
            }
            Kind::ImpactEffort => {
                for (axis, stat) in [("Impact", r.impact), ("Effort", r.effort)] {
                    if let Some(st) = stat {
                        let text = format!("{axis} {} ({}–{})", st.median, st.min, st.max);
                        let row = child(&li, "span", &[("class", "result-stat")], None)?;
                        child(&row, "span", &[], Some(&text))?;
                        range_bar(&row, st)?;
                    }
                }
            }
        }
    }
    if !res.dissent.is_empty() {
        child(
            box_,
            "h4",
            &[],
            Some("Dissent: what would change their mind"),
        )?;
        let ul = child(box_, "ul", &[("class", "dissent-list")], None)?;
        for d in &res.dissent {
            let text = match &d.name {
                Some(name) => format!("{name}: {}", d.text),
                None => d.text.clone(),
            };
            child(&ul, "li", &[], Some(&text))?;
        }
    }
    if s.may_edit() {
        let row = child(box_, "div", &[("class", "result-actions")], None)?;
        // Opening a round again is the facilitator's (the server refuses anyone else).
        if crate::board::facilitation::facilitates(s) {
            child(
                &row,
                "button",
                &[
                    ("type", "button"),
                    ("data-act", "rerun"),
                    ("id", "round-rerun"),
                ],
                Some("Re-run"),
            )?;
        }
        child(
            &row,
            "button",
            &[
                ("type", "button"),
                ("data-act", "record-from"),
                ("id", "record-from"),
            ],
            Some("Record decision…"),
        )?;
    }
    Ok(())
}

/// How many chose each value, the outliers marked.
fn spread(
    li: &Element,
    r: &huddle_shared::rounds::ItemResult,
    outliers: &[&str],
) -> Result<(), JsValue> {
    let row = child(li, "span", &[("class", "result-spread")], None)?;
    for (value, n) in &r.spread {
        let class = if outliers.contains(&value.as_str()) {
            "spread outlier"
        } else {
            "spread"
        };
        let shown = if value == "coffee" { "☕" } else { value };
        child(
            &row,
            "span",
            &[("class", class), ("data-value", value)],
            Some(&format!("{shown}: {n}")),
        )?;
    }
    Ok(())
}

/// The spread of 1-to-5 scores as a bar: the range from the lowest to the highest score,
/// and a mark at the median, so disagreement shows at a glance.
fn range_bar(li: &Element, st: huddle_shared::rounds::Stat) -> Result<(), JsValue> {
    let at = |v: f64| ((v - 1.0) / 4.0 * 100.0).clamp(0.0, 100.0);
    let (low, high) = (at(f64::from(st.min)), at(f64::from(st.max)));
    let bar = child(
        li,
        "span",
        &[("class", "range"), ("aria-hidden", "true")],
        None,
    )?;
    let span = format!("left:{low:.0}%;width:{:.0}%", (high - low).max(2.0));
    child(
        &bar,
        "span",
        &[("class", "range-span"), ("style", &span)],
        None,
    )?;
    let median = format!("left:{:.0}%", at(st.median));
    child(
        &bar,
        "span",
        &[("class", "range-median"), ("style", &median)],
        None,
    )?;
    Ok(())
}
