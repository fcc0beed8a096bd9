//! A strict RFC 4180 CSV reader that says where a file is wrong.
//!
//! Writing uses the `csv` crate; reading does not, because it is lenient where an import must
//! not be: an unclosed quote silently swallows the rest of the file as one field, and its
//! errors give byte offsets, not the line and column a person can find in a spreadsheet.
//! Here an unclosed quote, a quote inside an unquoted field, text after a closing quote and a
//! row whose field count differs from the header's are errors at their line and field.

use super::ImportError;

/// One row: the line it starts on (1-based) and its fields.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Row {
    pub line: usize,
    pub fields: Vec<String>,
}

/// Limits of one read.
pub(super) struct Limits {
    /// Longest field, in characters.
    pub field_chars: usize,
    /// Most rows, header included.
    pub rows: usize,
}

/// Reads every row of `text`. Blank lines are skipped; a UTF-8 byte-order mark (Excel writes
/// one) is ignored. Every row must have as many fields as the first.
pub(super) fn read(text: &str, limits: &Limits) -> Result<Vec<Row>, ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows: Vec<Row> = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    while chars.peek().is_some() {
        let start = line;
        let mut fields: Vec<String> = Vec::new();
        let mut field = String::new();
        let mut count = 0usize;
        let push = |c: char, field: &mut String, count: &mut usize, col: usize| {
            *count += 1;
            if *count > limits.field_chars {
                return Err(ImportError::at(
                    start,
                    col,
                    format!("field longer than {} characters", limits.field_chars),
                ));
            }
            field.push(c);
            Ok(())
        };
        // One field per turn of this loop; the row ends at a newline or the end of the text.
        loop {
            let col = fields.len() + 1;
            let field_line = line;
            if chars.peek() == Some(&'"') {
                chars.next();
                loop {
                    match chars.next() {
                        None => {
                            return Err(ImportError::at(
                                field_line,
                                col,
                                "a quoted field is never closed (a missing '\"')",
                            ));
                        }
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            push('"', &mut field, &mut count, col)?;
                        }
                        Some('"') => break,
                        Some(c) => {
                            if c == '\n' {
                                line += 1;
                            }
                            push(c, &mut field, &mut count, col)?;
                        }
                    }
                }
                match chars.peek() {
                    None | Some(',' | '\n' | '\r') => {}
                    Some(c) => {
                        return Err(ImportError::at(
                            line,
                            col,
                            format!("{c:?} after a closing quote (expected ',' or a line end)"),
                        ));
                    }
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if matches!(c, ',' | '\n' | '\r') {
                        break;
                    }
                    if c == '"' {
                        return Err(ImportError::at(
                            line,
                            col,
                            "a '\"' inside an unquoted field (quote the field and double the '\"')",
                        ));
                    }
                    chars.next();
                    push(c, &mut field, &mut count, col)?;
                }
            }
            fields.push(std::mem::take(&mut field));
            count = 0;
            match chars.next() {
                Some(',') => continue,
                Some('\r') => {
                    if chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    line += 1;
                }
                Some('\n') => line += 1,
                _ => {}
            }
            break;
        }
        if fields.len() == 1 && fields[0].is_empty() {
            continue;
        }
        if let Some(header) = rows.first()
            && fields.len() != header.fields.len()
        {
            let column = fields.len().min(header.fields.len()) + 1;
            return Err(ImportError::at(
                start,
                column,
                format!(
                    "{} fields, but the header has {}",
                    fields.len(),
                    header.fields.len()
                ),
            ));
        }
        if rows.len() == limits.rows {
            return Err(ImportError::at(
                start,
                1,
                format!("more than {} rows", limits.rows - 1),
            ));
        }
        rows.push(Row {
            line: start,
            fields,
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        field_chars: 20,
        rows: 4,
    };

    fn fields(text: &str) -> Vec<Vec<String>> {
        read(text, &LIMITS)
            .expect("valid")
            .into_iter()
            .map(|r| r.fields)
            .collect()
    }

    fn error(text: &str) -> (usize, usize) {
        let e = read(text, &LIMITS).expect_err("invalid");
        (e.line, e.column)
    }

    #[test]
    fn reads_quotes_commas_and_newlines() {
        assert_eq!(
            fields("\u{feff}a,b\r\n\"x, \"\"y\"\"\",\"two\nlines\"\n\n"),
            [vec!["a", "b"], vec!["x, \"y\"", "two\nlines"]]
        );
        let rows = read("a\n\"1\n2\"\n3\n", &LIMITS).expect("valid");
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [1, 2, 4]);
        assert_eq!(fields("a,b\n,\n"), [vec!["a", "b"], vec!["", ""]]);
    }

    #[test]
    fn errors_name_line_and_field() {
        // An unclosed quote: where the field starts.
        assert_eq!(error("a,b\n1,\"open\n2,3\n"), (2, 2));
        // A quote in an unquoted field.
        assert_eq!(error("a,b\n1,x\"y\n"), (2, 2));
        // Text after a closing quote.
        assert_eq!(error("a,b\n\"x\"y,1\n"), (2, 1));
        // Too few and too many fields: the first missing or extra one.
        assert_eq!(error("a,b,c\n1,2\n"), (2, 3));
        assert_eq!(error("a,b\n1,2\n1,2,3\n"), (3, 3));
        // Limits.
        assert_eq!(error(&format!("a\n{}\n", "x".repeat(21))), (2, 1));
        assert_eq!(error("a\n1\n2\n3\n4\n"), (5, 1));
    }
}
