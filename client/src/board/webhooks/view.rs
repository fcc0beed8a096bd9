//! Drawing the Webhooks dialog, and the words it uses (pure parts unit-tested natively).

use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlElement};

use super::{Delivery, Webhooks};
use crate::dom::child;

/// A kind of receiver, as people call it.
pub(super) fn kind_label(kind: &str) -> &str {
    match kind {
        "slack" => "Slack",
        "teams" => "Microsoft Teams",
        "mattermost" => "Mattermost",
        "generic" => "Generic JSON (signed)",
        other => other,
    }
}

/// A delivery's outcome in words: "Delivered (HTTP 200)", "Failed after 8 tries: ...",
/// "Retrying (3 tries so far): ...".
pub(super) fn outcome(d: &Delivery) -> String {
    let tries = |n: u32| {
        if n == 1 {
            "1 try".to_owned()
        } else {
            format!("{n} tries")
        }
    };
    let why = d
        .error
        .clone()
        .or_else(|| d.http_status.map(|s| format!("HTTP {s}")))
        .unwrap_or_default();
    match d.status.as_str() {
        "delivered" => format!(
            "Delivered (HTTP {}){}",
            d.http_status.unwrap_or(200),
            if d.attempts > 1 {
                format!(" after {}", tries(d.attempts))
            } else {
                String::new()
            }
        ),
        "failed" => format!("Failed after {}: {why}", tries(d.attempts)),
        _ if d.attempts == 0 => "Sending…".to_owned(),
        _ => format!("Retrying ({} so far): {why}", tries(d.attempts)),
    }
}

/// `2026-12-04 13:15 UTC`, as notifications write times.
fn when(ms: u64) -> String {
    huddle_shared::notify::utc_time(ms)
}

pub(super) fn render(dialog: &HtmlElement, hooks: &Webhooks) -> Result<(), JsValue> {
    dialog.set_text_content(None);
    child(dialog, "h2", &[], Some("Webhooks"))?;
    child(
        dialog,
        "button",
        &[
            ("type", "button"),
            ("id", "webhooks-close"),
            ("class", "close"),
            ("aria-label", "Close"),
        ],
        Some("×"),
    )?;
    let intro = "Tell a chat channel or your own service when something happens on this board.";
    child(dialog, "p", &[("class", "hint")], Some(intro))?;
    let list = child(dialog, "ul", &[("id", "webhook-list")], None)?;
    for hook in &hooks.webhooks {
        let li = child(
            &list,
            "li",
            &[("class", "webhook"), ("data-hook", &hook.id)],
            None,
        )?;
        child(&li, "strong", &[], Some(kind_label(&hook.kind)))?;
        child(&li, "code", &[("class", "webhook-url")], Some(&hook.url))?;
        let events: Vec<&str> = hook
            .events
            .iter()
            .map(|e| {
                hooks
                    .events
                    .iter()
                    .find(|c| c.name == *e)
                    .map_or(e.as_str(), |c| c.label.as_str())
            })
            .collect();
        child(&li, "span", &[("class", "hint")], Some(&events.join(", ")))?;
        if hook.kind == "generic" {
            let secret = format!("Signing secret: {}", hook.secret);
            child(&li, "code", &[("class", "webhook-secret")], Some(&secret))?;
        }
        child(
            &li,
            "button",
            &[("type", "button"), ("data-test", "")],
            Some("Send a test"),
        )?;
        child(
            &li,
            "button",
            &[("type", "button"), ("data-delete", ""), ("class", "danger")],
            Some("Remove"),
        )?;
    }
    if hooks.webhooks.is_empty() {
        child(&list, "li", &[("class", "hint")], Some("No webhooks yet."))?;
    }
    add_form(dialog, hooks)?;
    child(
        dialog,
        "p",
        &[("id", "webhooks-message"), ("role", "status")],
        None,
    )?;
    log(dialog, hooks)
}

fn add_form(dialog: &HtmlElement, hooks: &Webhooks) -> Result<(), JsValue> {
    child(dialog, "h3", &[], Some("Add a webhook"))?;
    let form = child(dialog, "div", &[("class", "webhook-form")], None)?;
    let kind = child(
        &form,
        "select",
        &[("id", "webhook-kind"), ("aria-label", "Receiver")],
        None,
    )?;
    for k in &hooks.kinds {
        child(&kind, "option", &[("value", k)], Some(kind_label(k)))?;
    }
    child(
        &form,
        "input",
        &[
            ("id", "webhook-url"),
            ("type", "url"),
            ("placeholder", "https://hooks.slack.com/services/…"),
            ("aria-label", "Webhook URL"),
            ("maxlength", "2048"),
        ],
        None,
    )?;
    let events = child(&form, "fieldset", &[("class", "webhook-events")], None)?;
    child(&events, "legend", &[], Some("Events"))?;
    for e in &hooks.events {
        let label = child(&events, "label", &[], None)?;
        child(
            &label,
            "input",
            &[
                ("type", "checkbox"),
                ("name", "webhook-event"),
                ("value", &e.name),
                ("checked", ""),
            ],
            None,
        )?;
        label.append_with_str_1(&format!(" {}", e.label))?;
    }
    child(
        &form,
        "button",
        &[("type", "button"), ("id", "webhook-add")],
        Some("Add"),
    )?;
    let note = if hooks.allow_private {
        "Generic receivers get a JSON body signed with the webhook's secret \
         (X-Huddle-Signature). This server may send to addresses on its own network."
    } else {
        "Generic receivers get a JSON body signed with the webhook's secret \
         (X-Huddle-Signature). Addresses on the server's own network are refused unless \
         its admin allows them."
    };
    child(dialog, "p", &[("class", "hint")], Some(note))?;
    Ok(())
}

fn log(dialog: &HtmlElement, hooks: &Webhooks) -> Result<(), JsValue> {
    let head = child(dialog, "div", &[("class", "webhook-log-head")], None)?;
    child(&head, "h3", &[], Some("Last deliveries"))?;
    child(
        &head,
        "button",
        &[("type", "button"), ("id", "webhooks-refresh")],
        Some("Refresh"),
    )?;
    let table = child(dialog, "ul", &[("id", "webhook-log")], None)?;
    if hooks.deliveries.is_empty() {
        child(
            &table,
            "li",
            &[("class", "hint")],
            Some("Nothing sent yet."),
        )?;
    }
    for d in &hooks.deliveries {
        row(&table, hooks, d)?;
    }
    Ok(())
}

fn row(table: &Element, hooks: &Webhooks, d: &Delivery) -> Result<(), JsValue> {
    let li = child(
        table,
        "li",
        &[("class", "delivery"), ("data-status", &d.status)],
        None,
    )?;
    let kind = hooks
        .webhooks
        .iter()
        .find(|h| h.id == d.webhook)
        .map_or("removed webhook", |h| kind_label(&h.kind));
    let head = format!("{} · {} · {}", when(d.at), d.event, kind);
    child(&li, "span", &[("class", "hint")], Some(&head))?;
    child(
        &li,
        "span",
        &[("class", "delivery-summary")],
        Some(&d.summary),
    )?;
    let mut status = outcome(d);
    if let (Some(next), "pending") = (d.next_try, d.status.as_str()) {
        status.push_str(&format!(" — next try {}", when(next)));
    }
    child(&li, "span", &[("class", "delivery-status")], Some(&status))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(status: &str, attempts: u32, http: Option<u16>, error: Option<&str>) -> Delivery {
        Delivery {
            webhook: "w".into(),
            event: "mention".into(),
            summary: "s".into(),
            at: 0,
            status: status.into(),
            attempts,
            http_status: http,
            error: error.map(str::to_owned),
            next_try: None,
        }
    }

    #[test]
    fn outcomes_read_well() {
        assert_eq!(
            outcome(&d("delivered", 1, Some(200), None)),
            "Delivered (HTTP 200)"
        );
        assert_eq!(
            outcome(&d("delivered", 3, Some(204), None)),
            "Delivered (HTTP 204) after 3 tries"
        );
        assert_eq!(
            outcome(&d("failed", 8, None, Some("connection refused"))),
            "Failed after 8 tries: connection refused"
        );
        assert_eq!(
            outcome(&d("pending", 2, Some(503), None)),
            "Retrying (2 tries so far): HTTP 503"
        );
        assert_eq!(outcome(&d("pending", 0, None, None)), "Sending…");
        assert_eq!(kind_label("teams"), "Microsoft Teams");
    }
}
