//! The whole board as versioned JSON, and import of that JSON into a new board.
//!
//! The export is [`BoardSnapshot`] with a format version in front
//! (`{"huddle_board": 1, "meta": ..., "items": ...}`). Items are keyed by id in sorted order,
//! so two equal boards give byte-identical files. Import keeps the ids (connectors and places
//! refer to items by id) and writes every item through the model ([`Board::restore_item`]).
//! The file is untrusted: its size, item count, ids, text lengths and numbers are checked
//! before anything is written.
//!
//! Round results and the decision log are exported too (`rounds` and `decisions`, left out
//! when empty) and read back by [`parse_board_json`], but [`restore_board`] does not write
//! them: an import is a new board, which starts its own rounds and its own log, and those
//! maps are the server's to write (its round and decision ids would collide with copied
//! ones). The file keeps them for the record.

use serde::{Deserialize, Serialize};
use yrs::TransactionMut;

use super::ImportError;
use crate::model::{Board, BoardSnapshot, ItemKind, MAX_STORY_FIELD_CHARS, MAX_TAGS};

/// The format version this build writes and reads.
pub const BOARD_FORMAT_VERSION: u32 = 1;
/// Largest JSON file accepted: a 10,000-note board is about 5 MB of pretty JSON; twice that
/// leaves room without letting one request hold a gigabyte.
pub const MAX_JSON_BYTES: usize = 10 * 1024 * 1024;
/// Most items in an imported board: twice the 10,000 notes the renderer is built for.
pub const MAX_BOARD_ITEMS: usize = 20_000;
/// Longest item id accepted: generated ids are 16 characters; anything much longer is not ours.
const MAX_ID_CHARS: usize = 64;
/// Longest short string (kind, colour, author, tag, rank), in characters.
const MAX_WORD_CHARS: usize = 200;

/// The JSON export: a format version and the board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardExport {
    pub huddle_board: u32,
    #[serde(flatten)]
    pub board: BoardSnapshot,
}

/// The board as pretty JSON with its format version.
pub fn board_json(board: &BoardSnapshot) -> String {
    let export = BoardExport {
        huddle_board: BOARD_FORMAT_VERSION,
        board: board.clone(),
    };
    // Plain structs of strings, finite numbers and string-keyed maps always serialise.
    let mut json = serde_json::to_string_pretty(&export).unwrap_or_default();
    json.push('\n');
    json
}

/// Parses and checks a board's JSON. Syntax errors carry serde's line and column; content
/// errors name the item and point at its key in the text (serde keeps no positions for
/// values, so the key is found again).
pub fn parse_board_json(json: &str) -> Result<BoardSnapshot, ImportError> {
    if json.len() > MAX_JSON_BYTES {
        return Err(ImportError::at(
            1,
            1,
            format!(
                "the file is {} bytes, more than {MAX_JSON_BYTES}",
                json.len()
            ),
        ));
    }
    let export: BoardExport = crate::json::from_str(json)
        .map_err(|e| ImportError::at(e.line().max(1), e.column().max(1), e.to_string()))?;
    if export.huddle_board != BOARD_FORMAT_VERSION {
        return Err(ImportError::at(
            1,
            1,
            format!(
                "board format version {} is not supported (this build reads {BOARD_FORMAT_VERSION})",
                export.huddle_board
            ),
        ));
    }
    check(&export.board).map_err(|(id, m)| {
        let (line, column) = id.and_then(|id| locate_key(json, &id)).unwrap_or((1, 1));
        ImportError::at(line, column, m)
    })?;
    Ok(export.board)
}

/// Line and column (1-based, in characters) of `"key"` used as an object key (followed by
/// `:` and `{`, which a value naming the same id never is).
fn locate_key(json: &str, key: &str) -> Option<(usize, usize)> {
    let quoted = format!("\"{key}\"");
    let at = json.match_indices(&quoted).map(|(i, _)| i).find(|&i| {
        let rest = json[i + quoted.len()..].trim_start();
        rest.strip_prefix(':')
            .is_some_and(|r| r.trim_start().starts_with('{'))
    })?;
    let before = &json[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Some((line, column))
}

/// Checks limits and shapes; an error names the item at fault, if one is.
fn check(board: &BoardSnapshot) -> Result<(), (Option<String>, String)> {
    if board.items.len() > MAX_BOARD_ITEMS {
        return Err((
            None,
            format!(
                "{} items, more than the {MAX_BOARD_ITEMS} a board may hold",
                board.items.len()
            ),
        ));
    }
    for (id, item) in &board.items {
        let bad = |what: &str| Err((Some(id.clone()), format!("item {id:?}: {what}")));
        let valid_id = |s: &str| {
            (1..=MAX_ID_CHARS).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        };
        if !valid_id(id) {
            return bad("ids are 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'");
        }
        if item.text.chars().count() > MAX_STORY_FIELD_CHARS {
            return bad(&format!(
                "text longer than {MAX_STORY_FIELD_CHARS} characters"
            ));
        }
        if item.tags.len() > MAX_TAGS {
            return bad(&format!("more than {MAX_TAGS} tags"));
        }
        let too_long = |w: &str| w.chars().count() > MAX_WORD_CHARS;
        let words = [item.kind.as_str(), &item.color, &item.author, &item.z];
        if words.into_iter().any(too_long) || item.tags.iter().any(|t| too_long(t)) {
            return bad(&format!(
                "a kind, colour, author, tag or rank longer than {MAX_WORD_CHARS} characters"
            ));
        }
        if !item.created_at.is_finite() {
            return bad("created_at is not a finite number");
        }
        if item.kind == ItemKind::Connector {
            let ends = [&item.from, &item.to];
            if ends
                .iter()
                .any(|e| e.as_ref().is_none_or(|e| !board.items.contains_key(e)))
            {
                return bad("a connector's from and to must be items of this board");
            }
        }
        if let Some(place) = &item.place {
            let refs = [
                Some(&place.map),
                place.parent.as_ref(),
                place.release.as_ref(),
            ];
            if refs.into_iter().flatten().any(|r| !valid_id(r)) {
                return bad("its place names an id that is not valid");
            }
        }
    }
    Ok(())
}

/// Writes a checked board into `board` (a fresh one): every item under its own id, the meta
/// with `title` and `created_at` given by the caller (an import is a new board), the template
/// name kept; round results and decisions are not written (see the module docs). Fails, having maybe written part, only on a value [`parse_board_json`] did not
/// check; callers write into a throwaway document, so nothing half-written is ever stored.
pub fn restore_board(
    board: &Board,
    txn: &mut TransactionMut,
    snapshot: &BoardSnapshot,
    title: &str,
    created_at: f64,
) -> Result<(), ImportError> {
    board.init_meta(txn, title, created_at);
    if let Some(t) = &snapshot.meta.template {
        board.set_template(txn, t);
    }
    for (id, item) in &snapshot.items {
        board
            .restore_item(txn, id, item)
            .map_err(|e| ImportError::at(1, 1, format!("item {id:?}: {e}")))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_name_line_and_column() {
        let e = parse_board_json("{\n  \"huddle_board\": 1,\n  \"meta\": nope\n}").unwrap_err();
        assert_eq!((e.line, e.column), (3, 12));
        let e = parse_board_json("").unwrap_err();
        assert_eq!(e.line, 1);
        let e = parse_board_json(
            r#"{"huddle_board": 2, "meta": {"title": "t", "created_at": 0}, "items": {}}"#,
        )
        .unwrap_err();
        assert!(e.message.contains("version 2"), "{e}");
    }

    #[test]
    fn content_is_checked() {
        let item = r#"{"kind": "connector", "pos": [0,0], "size": [0,0], "text": "", "color": "yellow",
            "tags": [], "author": "", "created_at": 0, "z": "a0", "from": "x", "to": "y"}"#;
        let json = format!(
            r#"{{"huddle_board": 1, "meta": {{"title": "t", "created_at": 0}}, "items": {{"c": {item}}}}}"#
        );
        let e = parse_board_json(&json).unwrap_err();
        assert!(e.message.contains("connector"), "{e}");
        // The error points at the item's key.
        let json = json.replace("{\"c\": ", "{\n  \"c\": ");
        let e = parse_board_json(&json).unwrap_err();
        assert_eq!((e.line, e.column), (2, 3), "{e}");
        let big = " ".repeat(MAX_JSON_BYTES + 1);
        assert!(
            parse_board_json(&big)
                .unwrap_err()
                .message
                .contains("bytes")
        );
    }
}
