//! The edit between two versions of a text field, in UTF-16 code units.
//!
//! A `<textarea>` only tells us its new value; the document wants "delete `n` at `i`, insert
//! `s`". The edit is the part between the common prefix and the common suffix. Offsets count
//! UTF-16 code units (as JavaScript and the board model do), and the edit never splits a
//! surrogate pair, so the inserted text is always valid.

/// Replace `delete` code units at `index` with `insert`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TextDiff {
    pub index: u32,
    pub delete: u32,
    pub insert: String,
}

impl TextDiff {
    /// Whether applying this edit changes nothing.
    pub fn is_empty(&self) -> bool {
        self.delete == 0 && self.insert.is_empty()
    }

    /// Length of [`TextDiff::insert`] in UTF-16 code units.
    pub fn insert_len(&self) -> u32 {
        len32(self.insert.encode_utf16().count())
    }

    /// Where a caret at `pos` (in the old text) belongs in the new text: positions before the
    /// edit stay, positions after it move with the text, positions inside deleted text go to
    /// the start of the edit.
    pub fn shift(&self, pos: u32) -> u32 {
        if pos <= self.index {
            pos
        } else if pos >= self.index.saturating_add(self.delete) {
            pos - self.delete + self.insert_len()
        } else {
            self.index
        }
    }
}

/// The edit that turns `old` into `new`, as small as a common prefix and suffix make it.
///
/// `caret` is the caret position in `new` right after a local edit (the textarea's
/// `selectionEnd`), if known. It resolves ambiguous edits: typing `a` between the two `a`s
/// of `aa` is an insert at 1, not at 2, which matters when someone else edits the same text.
pub fn diff(old: &str, new: &str, caret: Option<u32>) -> TextDiff {
    let old: Vec<u16> = old.encode_utf16().collect();
    let new: Vec<u16> = new.encode_utf16().collect();
    let shortest = old.len().min(new.len());

    // The edit ends at the caret, so it starts no later than the caret minus what it added.
    let prefix_limit = match caret {
        Some(caret) => {
            let grown = new.len().saturating_sub(old.len());
            (caret as usize).saturating_sub(grown).min(shortest)
        }
        None => shortest,
    };
    let mut prefix = old
        .iter()
        .zip(&new)
        .take(prefix_limit)
        .take_while(|(a, b)| a == b)
        .count();
    // Do not end the prefix between the two halves of a surrogate pair.
    if prefix > 0 && is_high_surrogate(old[prefix - 1]) {
        prefix -= 1;
    }

    let mut suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    // Do not start the suffix between the two halves of a surrogate pair.
    if suffix > 0 && is_low_surrogate(old[old.len() - suffix]) {
        suffix -= 1;
    }

    TextDiff {
        index: len32(prefix),
        delete: len32(old.len() - prefix - suffix),
        insert: String::from_utf16_lossy(&new[prefix..new.len() - suffix]),
    }
}

/// Applies `edit` to `text` (for tests and for checking a diff before sending it).
pub fn apply(text: &str, edit: &TextDiff) -> String {
    let units: Vec<u16> = text.encode_utf16().collect();
    let start = (edit.index as usize).min(units.len());
    let end = start.saturating_add(edit.delete as usize).min(units.len());
    let mut out = String::from_utf16_lossy(&units[..start]);
    out.push_str(&edit.insert);
    out.push_str(&String::from_utf16_lossy(&units[end..]));
    out
}

fn is_high_surrogate(unit: u16) -> bool {
    (0xD800..0xDC00).contains(&unit)
}

fn is_low_surrogate(unit: u16) -> bool {
    (0xDC00..0xE000).contains(&unit)
}

/// Text field contents are far below 4 GiB; saturate rather than wrap if one ever is not.
fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(index: u32, delete: u32, insert: &str) -> TextDiff {
        TextDiff {
            index,
            delete,
            insert: insert.to_owned(),
        }
    }

    #[test]
    fn insert_delete_replace() {
        assert_eq!(diff("", "", None), edit(0, 0, ""));
        assert!(diff("same", "same", None).is_empty());
        assert_eq!(diff("", "abc", None), edit(0, 0, "abc"));
        assert_eq!(diff("helo", "hello", None), edit(3, 0, "l"));
        assert_eq!(diff("hello", "help", None), edit(3, 2, "p"));
        assert_eq!(diff("abc", "", None), edit(0, 3, ""));
        assert_eq!(diff("a cat sat", "a dog sat", None), edit(2, 3, "dog"));
    }

    #[test]
    fn caret_resolves_repeated_characters() {
        // Typing "a" at 1 in "aa": the caret ends at 2.
        assert_eq!(diff("aa", "aaa", Some(2)), edit(1, 0, "a"));
        // Without the caret the edit is put at the end.
        assert_eq!(diff("aa", "aaa", None), edit(2, 0, "a"));
        // Backspace of the first "b" in "abbc": the caret ends at 1.
        assert_eq!(diff("abbc", "abc", Some(1)), edit(1, 1, ""));
        // Pasting "xx" at 0 in "xx": the caret ends at 2.
        assert_eq!(diff("xx", "xxxx", Some(2)), edit(0, 0, "xx"));
        // A caret past the end (stale) is harmless.
        assert_eq!(diff("ab", "abc", Some(99)), edit(2, 0, "c"));
    }

    #[test]
    fn counts_utf16_units_and_keeps_surrogate_pairs_whole() {
        // "é" is one unit, "😀" (U+1F600) is two.
        assert_eq!(diff("é", "éa", None), edit(1, 0, "a"));
        assert_eq!(diff("😀", "😀a", None), edit(2, 0, "a"));
        assert_eq!(diff("a😀b", "ab", None), edit(1, 2, ""));
        // U+1F600 and U+1F601 share their high surrogate: the edit must take both halves.
        assert_eq!(diff("😀", "😁", None), edit(0, 2, "😁"));
        // ...and U+1F600 / U+1F400 share the low one.
        assert_eq!(diff("x😀", "x🐀", None), edit(1, 2, "🐀"));
    }

    #[test]
    fn shifting_a_caret() {
        let e = edit(2, 3, "xy"); // replaces units 2..5 with two units
        assert_eq!(e.shift(0), 0);
        assert_eq!(e.shift(2), 2);
        assert_eq!(e.shift(3), 2);
        assert_eq!(e.shift(5), 4);
        assert_eq!(e.shift(9), 8);
        assert_eq!(edit(0, 0, "😀").shift(1), 3);
    }

    #[test]
    fn diff_then_apply_round_trips() {
        // A small deterministic exhaustive check over short strings of a few tricky characters.
        let alphabet = ["a", "b", "é", "😀", "😁"];
        let mut strings = vec![String::new()];
        for _ in 0..3 {
            let longer: Vec<String> = strings
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            strings.extend(longer);
        }
        strings.sort();
        strings.dedup();
        for old in &strings {
            for new in &strings {
                let new_len = new.encode_utf16().count() as u32;
                for caret in [None, Some(0), Some(new_len / 2), Some(new_len)] {
                    let d = diff(old, new, caret);
                    assert_eq!(
                        apply(old, &d),
                        *new,
                        "{old:?} -> {new:?} caret {caret:?}: {d:?}"
                    );
                }
            }
        }
    }
}
