//! How the page words a version: its title, who edited, what changed, and the `?version=`
//! of a read-only view. Pure, so it is unit-tested natively.

use huddle_shared::versions::{Author, Summary, VersionHead};

/// "Before the workshop" for a named version, "End of session" and so on for the others.
pub fn title(head: &VersionHead) -> String {
    match &head.name {
        Some(name) => name.clone(),
        None => head.kind.label().to_owned(),
    }
}

/// "3 added, 1 changed, 2 removed", or "No changes".
pub fn changes(summary: &Summary) -> String {
    let parts: Vec<String> = [
        (summary.added, "added"),
        (summary.changed, "changed"),
        (summary.removed, "removed"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    if parts.is_empty() {
        "No changes".to_owned()
    } else {
        parts.join(", ")
    }
}

/// "Ann", "Ann and Bob", "Ann, Bob and 3 others"; "Nobody edited" for none.
pub fn authors(authors: &[Author]) -> String {
    let names: Vec<&str> = authors.iter().map(|a| a.name.as_str()).collect();
    match names.as_slice() {
        [] => "Nobody edited".to_owned(),
        [one] => (*one).to_owned(),
        [a, b] => format!("{a} and {b}"),
        [a, b, c] => format!("{a}, {b} and {c}"),
        [a, b, rest @ ..] => format!("{a}, {b} and {} others", rest.len()),
    }
}

/// The version asked for in a page's query string (`?version=123`, among other parameters).
pub fn version_param(search: &str) -> Option<u64> {
    search
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix("version="))
        .and_then(|v| v.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use huddle_shared::versions::VersionKind;

    fn author(name: &str) -> Author {
        Author {
            id: name.to_lowercase(),
            name: name.to_owned(),
        }
    }

    #[test]
    fn words_for_a_version() {
        let s = Summary {
            added: 3,
            changed: 0,
            removed: 2,
        };
        assert_eq!(changes(&s), "3 added, 2 removed");
        assert_eq!(changes(&Summary::default()), "No changes");
        assert_eq!(authors(&[]), "Nobody edited");
        assert_eq!(authors(&[author("Ann"), author("Bob")]), "Ann and Bob");
        let five: Vec<Author> = ["A", "B", "C", "D", "E"].map(author).to_vec();
        assert_eq!(authors(&five), "A, B and 3 others");
        let mut head = VersionHead {
            id: 1,
            at: 1,
            kind: VersionKind::SessionEnd,
            name: None,
            authors: Vec::new(),
            summary: s,
            items: 0,
            state_bytes: 0,
            stored_bytes: 0,
        };
        assert_eq!(title(&head), "End of session");
        head.name = Some("Before the workshop".into());
        assert_eq!(title(&head), "Before the workshop");
    }

    #[test]
    fn the_version_parameter() {
        assert_eq!(version_param("?version=17"), Some(17));
        assert_eq!(version_param("?key=x&version=17"), Some(17));
        assert_eq!(version_param("?version=x"), None);
        assert_eq!(version_param(""), None);
    }
}
