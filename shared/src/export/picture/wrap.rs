//! Greedy word wrap into lines that fit a width: the page's canvas and the server's pictures
//! wrap a note's text with this same function, each with its own way of measuring text (the
//! browser's `measureText`, the embedded font's advances), so both break lines alike.

/// Longest text laid out: a note shows a few hundred characters at most.
pub const MAX_CHARS: usize = 2000;

/// Wraps `text` into at most `max_lines` lines no wider than `width` (as `measure` says).
/// Words wider than a line are broken between characters; text that does not fit ends in `…`.
pub fn wrap(
    text: &str,
    width: f64,
    max_lines: usize,
    measure: &dyn Fn(&str) -> f64,
) -> Vec<String> {
    let text = match text.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => &text[..cut],
        None => text,
    };
    let mut lines: Vec<String> = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split(' ') {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if measure(&candidate) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // The word alone: break it between characters if it is still too wide.
            for ch in word.chars() {
                line.push(ch);
                if line.chars().count() > 1 && measure(&line) > width {
                    line.pop();
                    lines.push(std::mem::take(&mut line));
                    line.push(ch);
                }
            }
        }
        lines.push(line);
        if lines.len() > max_lines {
            break;
        }
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            while !last.is_empty() && measure(&format!("{last}…")) > width {
                last.pop();
            }
            last.push('…');
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character is 10 units wide.
    fn mono(s: &str) -> f64 {
        s.chars().count() as f64 * 10.0
    }

    #[test]
    fn wraps_words_and_paragraphs() {
        assert_eq!(wrap("", 100.0, 5, &mono), vec![""]);
        assert_eq!(wrap("hello world", 200.0, 5, &mono), vec!["hello world"]);
        assert_eq!(wrap("hello world", 60.0, 5, &mono), vec!["hello", "world"]);
        assert_eq!(wrap("a\nb", 60.0, 5, &mono), vec!["a", "b"]);
    }

    #[test]
    fn breaks_long_words_and_truncates() {
        assert_eq!(wrap("abcdefgh", 30.0, 5, &mono), vec!["abc", "def", "gh"]);
        let lines = wrap("one two three four five", 50.0, 2, &mono);
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with('…'), "{lines:?}");
        assert!(lines.iter().all(|l| mono(l) <= 50.0));
        assert!(wrap("x", 50.0, 0, &mono).is_empty());
    }
}
