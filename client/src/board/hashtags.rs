//! `#tags` in a note's text: stored as the note's tags when editing ends, drawn as chips.
//!
//! A local stand-in until the model's `hashtags` lands (issue 3, MODEL part).

/// The distinct `#tags` in `text`, in order of first appearance, without the `#`, lowercased.
/// A tag is `#` followed by letters, digits, `_` or `-`, at the start or after whitespace.
pub fn hashtags(text: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    let mut prev_space = true;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '#' && prev_space {
            let rest = &text[i + 1..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
                .unwrap_or(rest.len());
            let tag = rest[..end].to_lowercase();
            if !tag.is_empty() && !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        prev_space = c.is_whitespace();
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_distinct_tags() {
        assert_eq!(
            hashtags("fix #Login and #ux, #login again"),
            ["login", "ux"]
        );
        assert_eq!(hashtags("#a-b_c1\n#été"), ["a-b_c1", "été"]);
        assert!(hashtags("no tags, issue#3, # alone").is_empty());
    }
}
