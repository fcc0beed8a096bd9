//! Rounds on the wire, for the rounds tests: people with roles on one board ([`Team`]), their
//! tabs speaking rounds ([`Tab`]), ballots, and the search of recorded bytes for what must
//! stay secret ([`leaks`]).
//!
//! # Layout
//!
//! - this file: a board, its owner and share links; people with a role and a distinctive name;
//!   ballots; the JS peer's recorded frames;
//! - `tab`: [`Tab`], one connection of a person that sends round requests, keeps the events
//!   and records every byte it receives;
//! - `leaks`: where a secret (a ballot's JSON, a name, a person id) occurs in recorded bytes.

pub mod leaks;
pub mod tab;

use anyhow::{Context, bail, ensure};
use huddle_shared::model::NewNote;
use huddle_shared::rounds::{Ballot, Choice};
use serde_json::Value;

pub use leaks::{Secret, ballot_secrets, find_secrets, labelled, sources, split_at};
pub use tab::{Answer, Tab};

use crate::server::TestServer;
use crate::visitor::{Visitor, key_of};

/// A board for a test: its owner (the facilitator) and its share links.
pub struct Team {
    pub board: String,
    pub owner: Visitor,
    /// Share link paths by role (`editor`, `commenter`, `viewer`).
    pub links: Value,
}

impl Team {
    /// A new owner named `owner_name` creates a board.
    pub async fn start(server: &TestServer, owner_name: &str) -> anyhow::Result<Team> {
        let owner = named(server, owner_name).await?;
        let board = owner.create_board("Deciding together").await?;
        let res = owner
            .call("GET", &format!("/api/boards/{board}/access"), None)
            .await?;
        ensure!(res.status == 200, "access: {} {}", res.status, res.body);
        let links = res.json()?["links"].clone();
        Ok(Team {
            board,
            owner,
            links,
        })
    }

    /// The share link path that grants `role`.
    pub fn link(&self, role: &str) -> anyhow::Result<&str> {
        self.links[role]
            .as_str()
            .with_context(|| format!("no {role} link in {}", self.links))
    }

    /// The key of the share link that grants `role` (for the JS peer's URL).
    pub fn key(&self, role: &str) -> anyhow::Result<&str> {
        key_of(self.link(role)?)
    }

    /// A new person named `name` who opened the link that grants `role`.
    pub async fn member(
        &self,
        server: &TestServer,
        role: &str,
        name: &str,
    ) -> anyhow::Result<Visitor> {
        let person = named(server, name).await?;
        let opened = person.open_link(self.link(role)?).await?;
        ensure!(
            opened.status == 303,
            "opening the {role} link: {} {}",
            opened.status,
            opened.body
        );
        Ok(person)
    }

    /// A tab of `person` at the board, synced, that said hello.
    pub async fn tab(&self, server: &TestServer, person: &Visitor) -> anyhow::Result<Tab> {
        let tab = self.quiet_tab(server, person).await?;
        tab.hello().await?;
        Ok(tab)
    }

    /// A tab of `person` at the board, synced, that did not say hello (as a stock client).
    pub async fn quiet_tab(&self, server: &TestServer, person: &Visitor) -> anyhow::Result<Tab> {
        Tab::join(
            &server.ws_url_bare(&self.board),
            &[("Cookie", &person.cookie)],
        )
        .await
    }
}

/// A new person who chose the name `name` (`PUT /api/me`).
pub async fn named(server: &TestServer, name: &str) -> anyhow::Result<Visitor> {
    let person = Visitor::arrive(server).await?;
    let res = person
        .call("PUT", "/api/me", Some(serde_json::json!({ "name": name })))
        .await?;
    ensure!(
        res.status == 200,
        "naming {name}: {} {}",
        res.status,
        res.body
    );
    Ok(person)
}

/// A person's identity as secrets: their name and person id.
pub fn identity(name: &str, who: &Visitor) -> Vec<Secret> {
    vec![
        Secret::text(format!("{name}'s name"), name),
        Secret::text(format!("{name}'s person id"), &who.id),
    ]
}

/// Every HTTP answer about `board` that someone may ask for (the board, its open rounds, its
/// decisions, every export, its access list, the board list), as `who`, labelled by request.
pub async fn board_answers(who: &Visitor, board: &str) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    for path in [
        format!("/api/boards/{board}"),
        format!("/api/boards/{board}/rounds"),
        format!("/api/boards/{board}/decisions"),
        format!("/api/boards/{board}/export.json"),
        format!("/api/boards/{board}/export?format=json"),
        format!("/api/boards/{board}/export?format=markdown"),
        format!("/api/boards/{board}/export?format=csv"),
        format!("/api/boards/{board}/access"),
        "/api/boards".to_owned(),
    ] {
        let res = who.call("GET", &path, None).await?;
        out.push((
            format!("GET {path} as {} ({})", who.id, res.status),
            res.body.into_bytes(),
        ));
    }
    Ok(out)
}

/// Adds notes with `texts` on `tab`'s replica, waits until the server has them; their ids.
pub async fn add_notes(tab: &Tab, texts: &[&str]) -> anyhow::Result<Vec<String>> {
    let ids = tab.edit(|board, txn| {
        texts
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let note = NewNote {
                    pos: [i as f64 * 250.0, 0.0],
                    text: (*text).to_owned(),
                    ..NewNote::default()
                };
                board.create_note(txn, note)
            })
            .collect::<Result<Vec<_>, _>>()
    })?;
    tab.save().await?;
    Ok(ids)
}

/// A ballot from `(item, choice)` pairs.
pub fn ballot<'a>(choices: impl IntoIterator<Item = (&'a str, Choice)>) -> Ballot {
    choices
        .into_iter()
        .map(|(item, choice)| (item.to_owned(), choice))
        .collect()
}

/// Dots on items.
pub fn dots<'a>(choices: impl IntoIterator<Item = (&'a str, u32)>) -> Ballot {
    ballot(choices.into_iter().map(|(i, n)| (i, Choice::Dots(n))))
}

/// Poker cards on items.
pub fn cards<'a>(choices: impl IntoIterator<Item = (&'a str, &'a str)>) -> Ballot {
    ballot(
        choices
            .into_iter()
            .map(|(i, c)| (i, Choice::Card(c.to_owned()))),
    )
}

/// Fails unless `answer` is a refusal; returns its reason.
pub fn refusal(answer: Answer, what: &str) -> anyhow::Result<String> {
    match answer {
        Answer::Refused(reason) if !reason.trim().is_empty() => Ok(reason),
        Answer::Refused(_) => bail!("{what}: refused without a reason"),
        Answer::Ack(_) => bail!("{what}: acknowledged, but the server should refuse it"),
    }
}

/// Milliseconds since the Unix epoch, as deadlines are written.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The frames a JS peer's `dump_received` step printed (hex strings), as bytes.
pub fn js_frames(dump: &Value) -> anyhow::Result<Vec<Vec<u8>>> {
    dump["frames"]
        .as_array()
        .with_context(|| format!("no frames in {dump}"))?
        .iter()
        .map(|f| {
            let hex = f.as_str().context("a frame is not a hex string")?;
            from_hex(hex)
        })
        .collect()
}

fn from_hex(hex: &str) -> anyhow::Result<Vec<u8>> {
    ensure!(hex.len().is_multiple_of(2), "odd hex length");
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|b| u8::from_str_radix(b, 16).ok())
                .context("bad hex")
        })
        .collect()
}
