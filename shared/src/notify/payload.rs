//! The body each kind of receiver expects for a [`Notice`]:
//!
//! - Slack: `{"text": ...}` with Slack's own link syntax (`<url|title>`) and its three escapes
//!   (`&`, `<`, `>`), as its incoming webhooks document;
//! - Mattermost: `{"text": ...}` in Markdown (`[title](url)`);
//! - Microsoft Teams: a message with one Adaptive Card, the format of the Workflows app's
//!   "when a Teams webhook request is received" flow that replaced the retired Office 365
//!   connectors (whose MessageCards it does not render);
//! - generic: Huddle's own JSON, `{"event", "delivery", "at", "board": {"id", "title", "url"},
//!   "text", "data"}`, where `data` holds the event's fields (see the README).

use serde_json::{Value, json};

use super::{Notice, WebhookKind};

/// The JSON body of `notice` for a receiver of `kind`. `board_url` is the board's page (an
/// absolute URL); `delivery` the delivery's id (generic receivers can drop repeats by it).
pub fn body(kind: WebhookKind, notice: &Notice, board_url: &str, delivery: &str) -> Value {
    let title = board_title(notice);
    let headline = notice.headline();
    match kind {
        WebhookKind::Slack => json!({
            "text": format!(
                "*<{}|{}>*: {}",
                slack_escape(board_url),
                slack_escape(&title).replace('|', "\u{2223}"),
                slack_escape(&headline)
            ),
        }),
        WebhookKind::Mattermost => json!({
            "text": format!(
                "**[{}]({})**: {}",
                markdown_escape(&title),
                board_url.replace(')', "%29"),
                headline
            ),
        }),
        WebhookKind::Teams => json!({
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": null,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        { "type": "TextBlock", "text": title, "weight": "Bolder", "size": "Medium", "wrap": true },
                        { "type": "TextBlock", "text": headline, "wrap": true },
                    ],
                    "actions": [
                        { "type": "Action.OpenUrl", "title": "Open the board", "url": board_url },
                    ],
                },
            }],
        }),
        WebhookKind::Generic => {
            let mut data = serde_json::to_value(&notice.what).unwrap_or(Value::Null);
            if let Some(fields) = data.as_object_mut() {
                fields.remove("type"); // it is `event`, spelled as the API spells it
            }
            json!({
                "event": notice.what.event_name(),
                "delivery": delivery,
                "at": notice.at,
                "board": { "id": notice.board, "title": notice.board_title, "url": board_url },
                "text": headline,
                "data": data,
            })
        }
    }
}

fn board_title(notice: &Notice) -> String {
    match notice.board_title.trim() {
        "" => "Untitled board".to_owned(),
        t => super::quote(t),
    }
}

/// Slack's escapes for text in a message: only `&`, `<` and `>` (its formatting guide).
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Keeps a title from closing the Markdown link it is the text of.
fn markdown_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('[', "\\[")
        .replace(']', "\\]")
}
