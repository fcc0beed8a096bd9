//! Searching what a client received for secrets: another person's choices (as the JSON of a
//! [`Choice`], or a card label used as a key, as a tally writes it), their name, their person
//! id. The tests choose values that occur nowhere else (a custom deck's odd labels, dot counts
//! no one else uses, names nobody else has), so a hit is a leak, not a coincidence.
//!
//! Strings travel verbatim in every encoding Huddle speaks (lib0 writes UTF-8 as it is, round
//! events are JSON, exports are text), so a byte search finds them; each needle is also
//! searched JSON-escaped, in case something wraps JSON in a JSON string.

use huddle_shared::rounds::{Ballot, Choice};

/// A value that must not reach someone, and what it is (for the failure message).
#[derive(Debug, Clone)]
pub struct Secret {
    pub what: String,
    needles: Vec<Vec<u8>>,
}

impl Secret {
    /// Any occurrence of `text` is a leak.
    pub fn text(what: impl Into<String>, text: &str) -> Secret {
        let mut needles = vec![text.as_bytes().to_vec()];
        let escaped = text.replace('\\', "\\\\").replace('"', "\\\"");
        if escaped != text {
            needles.push(escaped.into_bytes());
        }
        Secret {
            what: what.into(),
            needles,
        }
    }

    /// `choice` as a ballot carries it (`"card":"Q7x"`, `"dots":37`), and, for a card, its
    /// label as a map key (`"Q7x":`, as in a spread). For values unique to one person.
    pub fn choice(whose: &str, choice: &Choice) -> Vec<Secret> {
        let json = serde_json::to_string(choice).unwrap_or_default();
        let inner = json
            .strip_prefix('{')
            .and_then(|j| j.strip_suffix('}'))
            .unwrap_or(&json);
        let mut out = vec![Secret::text(format!("{whose}'s choice {inner}"), inner)];
        if let Choice::Card(label) = choice {
            out.push(Secret::text(
                format!("{whose}'s card {label:?} as a key"),
                &format!("\"{label}\":"),
            ));
        }
        out
    }
}

/// The secrets a ballot holds: each of its choices.
pub fn ballot_secrets(whose: &str, ballot: &Ballot) -> Vec<Secret> {
    ballot
        .values()
        .flat_map(|c| Secret::choice(whose, c))
        .collect()
}

/// Where each of `secrets` occurs in `sources` (a label and its bytes): one line per hit,
/// with the bytes around it.
pub fn find_secrets<'a>(
    sources: impl IntoIterator<Item = (String, &'a [u8])>,
    secrets: &[Secret],
) -> Vec<String> {
    let mut hits = Vec::new();
    for (label, bytes) in sources {
        for secret in secrets {
            for needle in &secret.needles {
                if let Some(at) = find(bytes, needle) {
                    let from = at.saturating_sub(60);
                    let to = (at + needle.len() + 60).min(bytes.len());
                    hits.push(format!(
                        "{} found in {label} at byte {at}: ...{}...",
                        secret.what,
                        String::from_utf8_lossy(&bytes[from..to]).escape_debug()
                    ));
                    break;
                }
            }
        }
    }
    hits
}

/// The frames before and from the first one that holds `marker` (all of them before if none
/// does).
pub fn split_at<'a>(frames: &'a [Vec<u8>], marker: &str) -> (&'a [Vec<u8>], &'a [Vec<u8>]) {
    let at = frames
        .iter()
        .position(|f| find(f, marker.as_bytes()).is_some())
        .unwrap_or(frames.len());
    frames.split_at(at)
}

/// Labels frames for [`find_secrets`]: `"{who}'s frame {n}"`.
pub fn labelled<'a>(who: &str, frames: &'a [Vec<u8>]) -> Vec<(String, &'a [u8])> {
    frames
        .iter()
        .enumerate()
        .map(|(n, f)| (format!("{who}'s frame {n}"), f.as_slice()))
        .collect()
}

/// Labelled answers (HTTP bodies) as sources for [`find_secrets`].
pub fn sources(answers: &[(String, Vec<u8>)]) -> Vec<(String, &[u8])> {
    answers
        .iter()
        .map(|(l, b)| (l.clone(), b.as_slice()))
        .collect()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_is_found_as_a_choice_and_as_a_key_not_in_a_deck() {
        let secrets = Secret::choice("Bo", &Choice::Card("Q7x".into()));
        let deck = br#"{"custom":["Q7x","K9z"]}"#;
        assert!(find_secrets([("deck".into(), &deck[..])], &secrets).is_empty());
        let ballot = br#"{"a1":{"card":"Q7x"}}"#;
        assert_eq!(find_secrets([("b".into(), &ballot[..])], &secrets).len(), 1);
        let spread = br#"{\"spread\":{\"Q7x\":1}}"#;
        assert_eq!(find_secrets([("s".into(), &spread[..])], &secrets).len(), 1);
    }

    #[test]
    fn frames_split_at_the_first_marker() {
        let frames = vec![b"a".to_vec(), b"xMARKx".to_vec(), b"c".to_vec()];
        let (before, after) = split_at(&frames, "MARK");
        assert_eq!((before.len(), after.len()), (1, 2));
    }
}
