//! New boards as stored bytes: from a template, or from an imported CSV or JSON file; and a
//! board's export as a download. Shared by the HTTP API and the `huddle` command line, so
//! both create boards exactly the same way (one initial update, then `Store::create_board`
//! or `Store::insert_board`).

use huddle_shared::export::{
    Format, ImportError, parse_backlog, parse_board_json, restore_board, slug, write_backlog,
};
use huddle_shared::model::{Board, BoardSnapshot};
use huddle_shared::templates::Template;
use yrs::{ReadTxn, StateVector, Transact};

use crate::store::BoardMeta;

/// Longest board title accepted, so lists stay readable.
pub const MAX_TITLE_CHARS: usize = 200;
/// Title of a board imported from CSV when none is given (the file has no title).
pub const DEFAULT_IMPORT_TITLE: &str = "Imported backlog";
/// Who the command line and the API write as the author of imported and template items.
const AUTHOR: &str = "";

/// A board ready to store: its meta, its whole document as one update, and its first view.
pub struct NewBoard {
    pub meta: BoardMeta,
    pub update: Vec<u8>,
    /// The board's view, gzip'd binary, as a room stores it when it stops: stored with the
    /// board, the board's first open gets it without loading the board (`api::view`). An
    /// imported backlog of thousands of stories is drawn as soon as the page asks.
    pub view: bytes::Bytes,
}

/// Why a new board was refused (the caller's input, never the server).
#[derive(Debug, thiserror::Error)]
pub enum NewBoardError {
    #[error("titles are at most {MAX_TITLE_CHARS} characters")]
    TitleTooLong,
    #[error("unknown template {0:?}: use one of {names}", names = Template::names())]
    UnknownTemplate(String),
    #[error("unknown format {0:?}: use one of {1}")]
    UnknownFormat(String, &'static str),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error("cannot write the board: {0}")]
    Model(#[from] huddle_shared::model::ModelError),
}

/// Checks and trims a title.
pub fn check_title(title: &str) -> Result<&str, NewBoardError> {
    let title = title.trim();
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(NewBoardError::TitleTooLong);
    }
    Ok(title)
}

/// Parses a template name; `None` is a blank board.
pub fn parse_template(name: Option<&str>) -> Result<Template, NewBoardError> {
    match name {
        None => Ok(Template::Blank),
        Some(n) => Template::parse(n).ok_or_else(|| NewBoardError::UnknownTemplate(n.into())),
    }
}

/// Parses an export format name.
pub fn parse_format(name: &str) -> Result<Format, NewBoardError> {
    Format::parse(name)
        .ok_or_else(|| NewBoardError::UnknownFormat(name.into(), "markdown, csv, json"))
}

/// A new board titled `title` made from `template`.
pub fn from_template(
    title: &str,
    template: Template,
    now_ms: u64,
) -> Result<NewBoard, NewBoardError> {
    let title = check_title(title)?;
    let board = Board::new();
    {
        let mut txn = board.transact_mut();
        board.init_meta(&mut txn, title, now_ms as f64);
        template.apply(&board, &mut txn, AUTHOR, now_ms as f64)?;
    }
    Ok(finish(&board, title, now_ms))
}

/// A new board from an imported file: `csv` (a backlog, as one story map) or `json` (a
/// whole board, ids kept). The whole file is checked before anything is built.
pub fn from_import(
    format: &str,
    text: &str,
    title: Option<&str>,
    now_ms: u64,
) -> Result<NewBoard, NewBoardError> {
    let title = title.map(check_title).transpose()?;
    let board = Board::new();
    let title = match format {
        "csv" => {
            let backlog = parse_backlog(text)?;
            let title = title.unwrap_or(DEFAULT_IMPORT_TITLE).to_owned();
            let mut txn = board.transact_mut();
            board.init_meta(&mut txn, &title, now_ms as f64);
            write_backlog(
                &board,
                &mut txn,
                &backlog,
                &title,
                [0.0, 0.0],
                AUTHOR,
                now_ms as f64,
            )?;
            board.set_template(&mut txn, Template::StoryMap.name());
            title
        }
        "json" => {
            let snapshot = parse_board_json(text)?;
            let title = match title {
                Some(t) => t.to_owned(),
                None => check_title(&snapshot.meta.title)?.to_owned(),
            };
            let mut txn = board.transact_mut();
            restore_board(&board, &mut txn, &snapshot, &title, now_ms as f64)?;
            title
        }
        other => return Err(NewBoardError::UnknownFormat(other.into(), "csv, json")),
    };
    Ok(finish(&board, &title, now_ms))
}

/// A new board holding `snapshot`'s items under their own ids (a copy of a version).
pub fn from_snapshot(
    snapshot: &BoardSnapshot,
    title: &str,
    now_ms: u64,
) -> Result<NewBoard, NewBoardError> {
    let title = check_title(title)?;
    let board = Board::new();
    {
        let mut txn = board.transact_mut();
        restore_board(&board, &mut txn, snapshot, title, now_ms as f64)?;
    }
    Ok(finish(&board, title, now_ms))
}

fn finish(board: &Board, title: &str, now_ms: u64) -> NewBoard {
    let txn = board.doc().transact();
    let update = txn.encode_state_as_update_v1(&StateVector::default());
    let view = crate::room::gzip(&board.view(&txn).to_binary());
    NewBoard {
        meta: BoardMeta {
            title: title.to_owned(),
            created_at: now_ms,
            updated_at: now_ms,
        },
        update,
        view,
    }
}

/// A board's export as a download: content type, file name and body.
pub struct Download {
    pub content_type: &'static str,
    pub filename: String,
    pub body: String,
}

pub fn download(snapshot: &BoardSnapshot, format: Format) -> Download {
    Download {
        content_type: format.content_type(),
        filename: format!("{}.{}", slug(&snapshot.meta.title), format.extension()),
        body: format.export(snapshot),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use huddle_shared::export::Outline;

    fn snapshot(new: &NewBoard) -> BoardSnapshot {
        let board = Board::new();
        let update = yrs::Update::decode_v1(&new.update).expect("update");
        board
            .doc()
            .transact_mut()
            .apply_update(update)
            .expect("apply");
        board.snapshot(&board.doc().transact())
    }

    use yrs::updates::decoder::Decode;

    #[test]
    fn templates_and_imports_make_whole_boards() {
        let new = from_template("Plan", Template::StoryMap, 5).expect("template");
        let s = snapshot(&new);
        assert_eq!(s.meta.template.as_deref(), Some("story_map"));
        assert_eq!(new.meta.title, "Plan");
        let csv = Format::Csv.export(&s);
        let back = from_import("csv", &csv, Some("Plan"), 6).expect("import");
        let outline = Outline::all(&snapshot(&back));
        assert_eq!(outline[0].activities.len(), 3);
        assert!(matches!(
            parse_template(Some("kanban")),
            Err(NewBoardError::UnknownTemplate(_))
        ));
        assert!(from_import("xml", "", None, 0).is_err());
        assert!(matches!(
            from_import("csv", "Summary\n\"x\n", None, 0),
            Err(NewBoardError::Import(e)) if e.line == 2
        ));
    }
}
