//! Hashtags typed into a note's text. The client extracts them when an edit ends and stores
//! them with [`super::Board::set_tags`], so filtering by tag reads one small array instead of
//! every note's text.

use yrs::{GetString, Map, TransactionMut};

use super::values::read_tags;
use super::{Board, ModelError, keys};

/// Most tags one item keeps: a note with more is not being tagged, it is being shouted at.
pub const MAX_TAGS: usize = 20;
/// Longest tag, in characters; longer `#words` are not taken as tags.
pub const MAX_TAG_CHARS: usize = 64;

fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || c == '-' || c == '_'
}

/// The `#tag` tokens of `text`: `#` at the start or after a character that cannot be part of a
/// tag (so `C#` and `page#anchor` are not tags), then letters (any script), digits, `-` and `_`.
/// Trailing `-`/`_` are dropped (`#bug-` at the end of a sentence is `bug`). Deduplicated
/// ignoring case, keeping the first spelling and the order of appearance; at most
/// [`MAX_TAGS`].
pub fn hashtags(text: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for span in tag_spans(text) {
        let tag = &text[span.clone()][1..];
        let folded = tag.to_lowercase();
        if !seen.contains(&folded) {
            seen.push(folded);
            tags.push(tag.to_owned());
            if tags.len() == MAX_TAGS {
                break;
            }
        }
    }
    tags
}

/// Where the `#tag` tokens of `text` are, `#` included (the rules of [`hashtags`], without
/// its deduplication and limit).
fn tag_spans(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut spans = Vec::new();
    let mut prev: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let starts_tag = c == '#' && !prev.is_some_and(is_tag_char);
        prev = Some(c);
        if !starts_tag {
            continue;
        }
        let start = at + c.len_utf8();
        let mut end = start;
        while let Some(&(i, t)) = chars.peek() {
            if !is_tag_char(t) {
                break;
            }
            end = i + t.len_utf8();
            prev = Some(t);
            chars.next();
        }
        let tag = text[start..end].trim_end_matches(['-', '_']);
        if !tag.chars().any(char::is_alphanumeric) || tag.chars().count() > MAX_TAG_CHARS {
            continue;
        }
        spans.push(at..start + tag.len());
    }
    spans
}

/// `text` without the `#tags` in `tags` (ignoring case), for a tracker that carries them as
/// labels: the run of such tags at the end goes (`Pay with saved card #payments #mvp` ->
/// `Pay with saved card`); one inside a sentence keeps its word and loses the `#` (`Fix
/// #login bug` -> `Fix login bug`). Other `#words` stay as written.
pub fn without_tags(text: &str, tags: &[String]) -> String {
    let carried = |span: &std::ops::Range<usize>| {
        let tag = &text[span.start + 1..span.end];
        tags.iter().any(|t| t.eq_ignore_ascii_case(tag))
    };
    let spans: Vec<_> = tag_spans(text).into_iter().filter(carried).collect();
    // The trailing run: from the end, tags separated by nothing but whitespace.
    let mut tail = text.trim_end().len();
    let mut cut = spans.len();
    while cut > 0 && spans[cut - 1].end == tail {
        cut -= 1;
        tail = text[..spans[cut].start].trim_end().len();
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for span in &spans[..cut] {
        out.push_str(&text[at..span.start]);
        at = span.start + 1; // keep the word, drop the `#`
    }
    out.push_str(&text[at..tail]);
    out
}

impl Board {
    /// Stores the [`hashtags`] of item `id`'s text as its tags, if they differ from the stored
    /// ones (an unchanged write would still leave a tombstone). The client calls it when an
    /// edit ends. Returns whether it wrote.
    pub fn retag(&self, txn: &mut TransactionMut, id: &str) -> Result<bool, ModelError> {
        let text = self.text(txn, id)?.get_string(txn);
        let tags = hashtags(&text);
        let Some(item) = self.item_map(txn, id) else {
            return Err(ModelError::NoSuchItem(id.to_owned()));
        };
        if read_tags(txn, &item) == tags {
            return Ok(false);
        }
        item.insert(txn, keys::TAGS, super::values::strings(&tags));
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_tags() {
        assert_eq!(
            hashtags("#MVP login via #sso, see #mvp again; #v2_beta #42 #straße #日本語"),
            ["MVP", "sso", "v2_beta", "42", "straße", "日本語"]
        );
        assert_eq!(hashtags("#a-b-c- and (#x) #y."), ["a-b-c", "x", "y"]);
        assert_eq!(hashtags("##double #"), ["double"]);
    }

    #[test]
    fn takes_carried_tags_out_of_a_title() {
        let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            without_tags(
                "Pay with saved card #payments #mvp",
                &tags(&["payments", "mvp"])
            ),
            "Pay with saved card"
        );
        assert_eq!(
            without_tags("Fix #Login bug #p1\n", &tags(&["login", "P1"])),
            "Fix Login bug"
        );
        // A `#word` that is not carried as a label stays, and so does what follows it.
        assert_eq!(
            without_tags("Ship C# client #later #mvp", &tags(&["mvp"])),
            "Ship C# client #later"
        );
        assert_eq!(without_tags("#mvp", &tags(&["mvp"])), "");
        assert_eq!(without_tags("no tags", &tags(&[])), "no tags");
        assert_eq!(without_tags("#bug- end", &tags(&["bug"])), "bug- end");
    }

    #[test]
    fn ignores_what_is_not_a_tag() {
        assert!(hashtags("C# page#anchor # - #- #_ #! plain").is_empty());
        assert!(hashtags(&format!("#{}", "x".repeat(MAX_TAG_CHARS + 1))).is_empty());
        assert_eq!(
            hashtags(&format!("#{}", "x".repeat(MAX_TAG_CHARS))).len(),
            1
        );
        assert!(hashtags("").is_empty());
    }

    #[test]
    fn retag_writes_only_changes() {
        let board = Board::with_client_id(1);
        let mut txn = board.transact_mut();
        let note = crate::model::NewNote {
            text: "fix #Login".into(),
            ..Default::default()
        };
        let id = board.create_note(&mut txn, note).expect("note");
        assert_eq!(board.retag(&mut txn, &id), Ok(true));
        assert_eq!(
            board.item_snapshot(&txn, &id).expect("item").tags,
            ["Login"]
        );
        assert_eq!(board.retag(&mut txn, &id), Ok(false));
        board.insert_text(&mut txn, &id, 0, "#p1 ").expect("type");
        assert_eq!(board.retag(&mut txn, &id), Ok(true));
        assert_eq!(
            board.item_snapshot(&txn, &id).expect("item").tags,
            ["p1", "Login"]
        );
        assert!(board.retag(&mut txn, "gone").is_err());
    }

    #[test]
    fn keeps_at_most_max_tags() {
        let text: String = (0..50).map(|i| format!("#t{i} ")).collect();
        let tags = hashtags(&text);
        assert_eq!(tags.len(), MAX_TAGS);
        assert_eq!(tags[19], "t19");
    }
}
