//! Drawing the inbox's list, and the words it uses (pure parts unit-tested natively).

use wasm_bindgen::prelude::*;
use web_sys::HtmlElement;

use super::Entry;
use crate::dom::child;

/// The badge's text: the count, "99+" past 99.
pub(super) fn badge(unread: usize) -> String {
    if unread > 99 {
        "99+".to_owned()
    } else {
        unread.to_string()
    }
}

/// What kind of entry, in words.
pub(super) fn kind_label(kind: &str) -> &'static str {
    match kind {
        "mention" => "Mention",
        "reply" => "Reply",
        "ballot" => "Your ballot",
        "decision" => "Decision",
        _ => "Notice",
    }
}

/// How long ago `at` was, from `now` (both ms since the epoch): "just now", "5 min ago",
/// "3 h ago", "2 days ago".
pub(super) fn ago(at: u64, now: u64) -> String {
    let mins = now.saturating_sub(at) / 60_000;
    match mins {
        0 => "just now".to_owned(),
        1..=59 => format!("{mins} min ago"),
        60..=2879 => format!("{} h ago", mins / 60),
        _ => format!("{} days ago", mins / 1440),
    }
}

pub(super) fn render(panel: &HtmlElement, entries: &[Entry]) -> Result<(), JsValue> {
    panel.set_text_content(None);
    let head = child(panel, "div", &[("class", "inbox-head")], None)?;
    child(&head, "h2", &[], Some("Inbox"))?;
    let any_unread = entries.iter().any(|e| !e.read);
    let mut attrs = vec![("type", "button"), ("id", "inbox-read-all")];
    if !any_unread {
        attrs.push(("disabled", ""));
    }
    child(&head, "button", &attrs, Some("Mark all read"))?;
    child(
        &head,
        "button",
        &[
            ("type", "button"),
            ("id", "inbox-close"),
            ("class", "close"),
            ("aria-label", "Close"),
        ],
        Some("×"),
    )?;
    if entries.is_empty() {
        let text = "Nothing yet. Mentions, replies to your threads, rounds that need your \
                    ballot and decisions on your boards appear here.";
        child(
            panel,
            "p",
            &[("id", "inbox-empty"), ("class", "hint")],
            Some(text),
        )?;
        return Ok(());
    }
    let now = js_sys::Date::now() as u64;
    let list = child(panel, "ul", &[("class", "inbox-list")], None)?;
    for entry in entries {
        let class = if entry.read {
            "inbox-entry"
        } else {
            "inbox-entry unread"
        };
        let li = child(&list, "li", &[], None)?;
        let link = child(
            &li,
            "a",
            &[
                ("class", class),
                ("data-id", &entry.id),
                ("href", &format!("/b/{}", entry.board)),
            ],
            None,
        )?;
        let meta = format!(
            "{} · {} · {}",
            kind_label(&entry.kind),
            if entry.board_title.is_empty() {
                entry.board.as_str()
            } else {
                entry.board_title.as_str()
            },
            ago(entry.at, now)
        );
        child(&link, "span", &[("class", "inbox-meta")], Some(&meta))?;
        child(&link, "span", &[("class", "inbox-text")], Some(&entry.text))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_badge_and_times_read_well() {
        assert_eq!(badge(0), "0");
        assert_eq!(badge(7), "7");
        assert_eq!(badge(100), "99+");
        assert_eq!(ago(1_000, 1_000), "just now");
        assert_eq!(ago(0, 5 * 60_000), "5 min ago");
        assert_eq!(ago(0, 3 * 3_600_000), "3 h ago");
        assert_eq!(ago(0, 50 * 3_600_000), "2 days ago");
        assert_eq!(ago(10, 0), "just now");
        assert_eq!(kind_label("ballot"), "Your ballot");
        assert_eq!(kind_label("???"), "Notice");
    }
}
