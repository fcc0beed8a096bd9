//! `@name` mentions: resolved against the people with a role on the board (by the server,
//! when a comment is posted or edited), and the completion a page offers while typing.
//!
//! Names may hold spaces ("Ann Lee"), so a mention is the longest name of someone on the
//! board that follows an `@` (case-insensitive) and ends where a word ends: `@ann lee,` names
//! Ann Lee, `@annabel` does not name Ann. An `@` inside a word (an e-mail address) is not a
//! mention. The page completes `@` to the full name, so what was meant is what is sent.

use serde::{Deserialize, Serialize};

/// Someone who can be mentioned: a person with a role on the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mentionable {
    pub id: String,
    pub name: String,
}

/// Most suggestions the completion offers.
pub const MAX_SUGGESTIONS: usize = 8;

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Byte offsets just after each `@` that starts a mention (not inside a word).
fn mention_starts(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.char_indices().filter_map(move |(i, c)| {
        if c != '@' {
            return None;
        }
        let before = text[..i].chars().next_back();
        (!before.is_some_and(is_word)).then_some(i + 1)
    })
}

/// Whether `rest` starts with `name` (case-insensitive) followed by a word's end; the byte
/// length of the match in `rest`.
fn matches_name(rest: &str, name: &str) -> Option<usize> {
    let mut rest_chars = rest.char_indices();
    for n in name.chars() {
        let (_, r) = rest_chars.next()?;
        if !r.to_lowercase().eq(n.to_lowercase()) {
            return None;
        }
    }
    let end = rest_chars.next().map_or(rest.len(), |(i, _)| i);
    let after = rest[end..].chars().next();
    (!after.is_some_and(is_word)).then_some(end)
}

/// The people `text` mentions, as person ids in order of first appearance. At each `@` the
/// longest matching name wins; a name two people share mentions both.
pub fn resolve_mentions(text: &str, people: &[Mentionable]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for start in mention_starts(text) {
        let rest = &text[start..];
        let best = people
            .iter()
            .filter(|p| !p.name.trim().is_empty())
            .filter_map(|p| matches_name(rest, &p.name).map(|len| (len, p)))
            .map(|(len, _)| len)
            .max();
        let Some(best) = best else { continue };
        for p in people {
            if matches_name(rest, &p.name) == Some(best) && !out.contains(&p.id) {
                out.push(p.id.clone());
            }
        }
    }
    out
}

/// The mention being typed at byte offset `cursor` of `text`: the offset of its `@` and what
/// follows it up to the cursor (no line break; at most 40 characters), if any.
pub fn mention_query(text: &str, cursor: usize) -> Option<(usize, &str)> {
    let upto = text.get(..cursor)?;
    let at = upto.rfind('@')?;
    let query = &upto[at + 1..];
    let before = upto[..at].chars().next_back();
    if before.is_some_and(is_word) || query.contains('\n') || query.chars().count() > 40 {
        return None;
    }
    Some((at, query))
}

/// Who to suggest for `query`: names that start with it first, then names with a word that
/// starts with it, each by name; case-insensitive; at most [`MAX_SUGGESTIONS`].
pub fn complete<'a>(query: &str, people: &'a [Mentionable]) -> Vec<&'a Mentionable> {
    let q = query.to_lowercase();
    let mut ranked: Vec<(u8, String, &Mentionable)> = people
        .iter()
        .filter_map(|p| {
            let name = p.name.to_lowercase();
            let rank = if name.starts_with(&q) {
                0
            } else if name.split_whitespace().any(|w| w.starts_with(&q)) {
                1
            } else {
                return None;
            };
            Some((rank, name, p))
        })
        .collect();
    crate::sort::sort_by(&mut ranked, |a, b| {
        (a.0, &a.1, &a.2.id).cmp(&(b.0, &b.1, &b.2.id))
    });
    ranked
        .into_iter()
        .take(MAX_SUGGESTIONS)
        .map(|(_, _, p)| p)
        .collect()
}
