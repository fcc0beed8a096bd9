//! Notifications as plain values: what happened on a board ([`Notice`]), which of those a
//! webhook may subscribe to ([`Topic`]), the kinds of receivers ([`WebhookKind`]) and the
//! body each expects ([`payload`]), the signature of a generic receiver's body
//! ([`signature`]), when a failed delivery is tried again ([`backoff`]) and which addresses a
//! webhook may not point at ([`target`]).
//!
//! The server turns room and API events into [`Notice`]s, writes inbox entries and sends
//! webhooks; the page reads inbox entries and the webhook settings. Both use these types, so
//! the names of events and kinds are spelled in one place.
//!
//! # Layout
//!
//! - this file: [`Notice`], [`What`], [`Topic`], [`WebhookKind`], [`InboxKind`];
//! - [`payload`]: the JSON body for Slack, Microsoft Teams, Mattermost and a generic receiver;
//! - [`signature`]: `X-Huddle-Signature` (HMAC-SHA256 over the timestamp and the body);
//! - [`backoff`]: the retry schedule (exponential, capped, a fixed number of attempts);
//! - [`target`]: the SSRF rules: loopback, private, link-local and other internal addresses.

pub mod backoff;
pub mod payload;
pub mod signature;
pub mod target;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

/// Most characters of quoted text (a comment, a decision) carried by a notice: enough to
/// read it in a chat message, small enough that a webhook body stays small.
pub const MAX_QUOTE_CHARS: usize = 500;

/// Most webhooks one board may have.
pub const MAX_WEBHOOKS_PER_BOARD: usize = 10;

/// Deliveries kept per board for the owner's delivery log (issue 14: "the last 50").
pub const DELIVERY_LOG_LEN: usize = 50;

/// Inbox entries kept per person; older ones are dropped as new ones arrive.
pub const MAX_INBOX_ENTRIES: usize = 200;

/// Longest webhook URL accepted (Slack's and Teams' are about 100 to 400 characters).
pub const MAX_URL_CHARS: usize = 2048;

/// An event a webhook may be subscribed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Topic {
    #[serde(rename = "decision.recorded")]
    Decision,
    #[serde(rename = "round.revealed")]
    Revealed,
    #[serde(rename = "mention")]
    Mention,
    #[serde(rename = "board.shared")]
    Shared,
}

impl Topic {
    pub const ALL: [Topic; 4] = [
        Topic::Decision,
        Topic::Revealed,
        Topic::Mention,
        Topic::Shared,
    ];

    /// The name in the API and in a generic receiver's body (`"decision.recorded"`).
    pub fn name(self) -> &'static str {
        match self {
            Topic::Decision => "decision.recorded",
            Topic::Revealed => "round.revealed",
            Topic::Mention => "mention",
            Topic::Shared => "board.shared",
        }
    }

    /// What the settings dialog calls it.
    pub fn label(self) -> &'static str {
        match self {
            Topic::Decision => "Decision recorded",
            Topic::Revealed => "Round revealed",
            Topic::Mention => "Mention",
            Topic::Shared => "Board shared",
        }
    }

    pub fn parse(name: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// Who receives a webhook, which decides the body's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookKind {
    /// A Slack incoming webhook (`https://hooks.slack.com/services/...`): `{"text": ...}`.
    Slack,
    /// A Microsoft Teams incoming webhook or workflow: a MessageCard.
    Teams,
    /// A Mattermost incoming webhook: `{"text": ...}` in Markdown.
    Mattermost,
    /// Any HTTP endpoint: Huddle's own JSON, signed with the webhook's secret.
    Generic,
}

impl WebhookKind {
    pub const ALL: [WebhookKind; 4] = [
        WebhookKind::Slack,
        WebhookKind::Teams,
        WebhookKind::Mattermost,
        WebhookKind::Generic,
    ];

    pub fn name(self) -> &'static str {
        match self {
            WebhookKind::Slack => "slack",
            WebhookKind::Teams => "teams",
            WebhookKind::Mattermost => "mattermost",
            WebhookKind::Generic => "generic",
        }
    }

    pub fn parse(name: &str) -> Option<WebhookKind> {
        WebhookKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Slack and Teams take HTTPS only; a self-hosted Mattermost or receiver may be plain HTTP.
    pub fn needs_https(self) -> bool {
        matches!(self, WebhookKind::Slack | WebhookKind::Teams)
    }

    /// Only the generic receiver gets a signature (chat services check their own URL's secret).
    pub fn signed(self) -> bool {
        self == WebhookKind::Generic
    }
}

/// What kind of entry a person's inbox shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InboxKind {
    /// Someone mentioned them in a comment.
    Mention,
    /// Someone replied in a thread they started or wrote in.
    Reply,
    /// A round with a deadline waits for their ballot.
    Ballot,
    /// A decision was recorded on a board they have a role on.
    Decision,
}

/// Something that happened on a board, as notifications tell it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    /// The board's id.
    pub board: String,
    /// The board's title when it happened (the server fills it in).
    #[serde(default)]
    pub board_title: String,
    /// Milliseconds since the Unix epoch, UTC.
    pub at: u64,
    pub what: What,
}

/// The event and what a reader needs to understand it without opening the board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum What {
    /// The facilitator recorded a decision.
    Decision {
        /// The decision's id in the board's log (`000003`).
        id: String,
        text: String,
        /// Name of who recorded it.
        by: String,
        /// The result in words, when it was recorded from a round.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        result: String,
        /// Person id of who recorded it: not told to anyone, only left out of the inboxes.
        #[serde(skip)]
        by_person: Option<String>,
    },
    /// A round was revealed (by the facilitator or at its deadline).
    Revealed {
        round: String,
        title: String,
        /// The kind of round in words: `Dot vote`, `Fist to five`, `Planning poker`, `Impact/effort`.
        kind: String,
        voters: u32,
        /// The result in words.
        summary: String,
        by_deadline: bool,
    },
    /// A round with a deadline was opened: those who may vote are asked for their ballot.
    BallotNeeded {
        round: String,
        title: String,
        /// Milliseconds since the Unix epoch, UTC.
        deadline: u64,
        /// Name of who opened it.
        by: String,
        #[serde(skip)]
        by_person: Option<String>,
    },
    /// Someone was mentioned (`@name`) in a comment.
    Mention {
        thread: String,
        comment: String,
        /// Name of the comment's author.
        author: String,
        text: String,
        /// Person ids of the people mentioned (their inboxes get it).
        #[serde(skip)]
        recipients: Vec<String>,
        #[serde(skip)]
        author_person: Option<String>,
    },
    /// Someone replied in a thread.
    Reply {
        thread: String,
        comment: String,
        author: String,
        text: String,
        /// Person ids of the thread's earlier writers (their inboxes get it).
        #[serde(skip)]
        recipients: Vec<String>,
        #[serde(skip)]
        author_person: Option<String>,
    },
    /// The owner's "send a test" in the webhook settings: tells whether the receiver works.
    Test {
        /// Name of the owner who asked.
        by: String,
    },
    /// A person was given a role on the board (through a share link or by an owner).
    Shared {
        /// Their display name.
        name: String,
        /// `owner`, `editor`, `commenter`, `viewer`.
        role: String,
    },
}

impl What {
    /// The event's name in a generic receiver's body and the `X-Huddle-Event` header.
    pub fn event_name(&self) -> &'static str {
        match self {
            What::BallotNeeded { .. } => "ballot.needed",
            What::Reply { .. } => "reply",
            What::Test { .. } => "ping",
            _ => self.topic().map_or("ping", Topic::name),
        }
    }

    /// The webhook event it is, if webhooks may carry it. Replies go to inboxes only (a
    /// mention is what a channel is told about); a ballot request is personal.
    pub fn topic(&self) -> Option<Topic> {
        match self {
            What::Decision { .. } => Some(Topic::Decision),
            What::Revealed { .. } => Some(Topic::Revealed),
            What::Mention { .. } => Some(Topic::Mention),
            What::Shared { .. } => Some(Topic::Shared),
            What::BallotNeeded { .. } | What::Reply { .. } | What::Test { .. } => None,
        }
    }

    /// The inbox entry kind it makes, if it goes to inboxes.
    pub fn inbox_kind(&self) -> Option<InboxKind> {
        match self {
            What::Decision { .. } => Some(InboxKind::Decision),
            What::BallotNeeded { .. } => Some(InboxKind::Ballot),
            What::Mention { .. } => Some(InboxKind::Mention),
            What::Reply { .. } => Some(InboxKind::Reply),
            What::Revealed { .. } | What::Shared { .. } | What::Test { .. } => None,
        }
    }

    /// The person who caused it, whose own inbox does not get it.
    pub fn actor(&self) -> Option<&str> {
        match self {
            What::Decision { by_person, .. } | What::BallotNeeded { by_person, .. } => {
                by_person.as_deref()
            }
            What::Mention { author_person, .. } | What::Reply { author_person, .. } => {
                author_person.as_deref()
            }
            What::Revealed { .. } | What::Shared { .. } | What::Test { .. } => None,
        }
    }

    /// The people it is addressed to by name (mentions, replies); `None`: everyone on the
    /// board that the kind concerns (decisions: all roles; ballots: those who may vote).
    pub fn recipients(&self) -> Option<&[String]> {
        match self {
            What::Mention { recipients, .. } | What::Reply { recipients, .. } => Some(recipients),
            _ => None,
        }
    }
}

/// `text` cut to [`MAX_QUOTE_CHARS`] characters (with "…" when cut), on one line.
pub fn quote(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= MAX_QUOTE_CHARS {
        return one_line;
    }
    let mut cut: String = one_line.chars().take(MAX_QUOTE_CHARS - 1).collect();
    cut.push('…');
    cut
}

impl Notice {
    /// One line a person reads in their inbox or a chat channel, without the board's name.
    pub fn headline(&self) -> String {
        match &self.what {
            What::Decision {
                text, by, result, ..
            } => {
                let mut line = format!("{by} recorded a decision: {}", quote(text));
                if !result.is_empty() {
                    line.push_str(&format!(" ({})", quote(result)));
                }
                line
            }
            What::Revealed {
                title,
                voters,
                summary,
                by_deadline,
                ..
            } => {
                let name = if title.is_empty() { "A round" } else { title };
                let how = if *by_deadline { " at its deadline" } else { "" };
                let plural = if *voters == 1 { "" } else { "s" };
                format!(
                    "{} was revealed{how}, {voters} voter{plural}: {}",
                    quote_name(name),
                    quote(summary)
                )
            }
            What::BallotNeeded {
                title,
                deadline,
                by,
                ..
            } => {
                let name = if title.is_empty() {
                    "a round".to_owned()
                } else {
                    quote_name(title)
                };
                format!(
                    "{by} opened {name}: your ballot is needed by {}",
                    utc_time(*deadline)
                )
            }
            What::Mention { author, text, .. } => {
                format!("{author} mentioned you: {}", quote(text))
            }
            What::Reply { author, text, .. } => format!("{author} replied: {}", quote(text)),
            What::Shared { name, role } => format!("{name} joined as {role}"),
            What::Test { by } => format!("{by} sent a test: this webhook works"),
        }
    }
}

fn quote_name(name: &str) -> String {
    format!("\u{201c}{}\u{201d}", quote(name))
}

/// `2026-12-04 13:15 UTC`: a time everyone across time zones reads the same way.
pub fn utc_time(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rest / 3600,
        (rest % 3600) / 60
    )
}

/// Days since 1970-01-01 to a (year, month, day) in the proleptic Gregorian calendar (Howard
/// Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}
