//! Board templates: what a new board starts with.
//!
//! A template is applied once, to a new board, in one transaction (one update to store, one
//! undo step), and its name is recorded in `meta.template` so the client and exports know
//! where a board came from. Everything a template writes goes through the typed model API.

use yrs::TransactionMut;

use crate::model::{Board, ModelError, Point, Size};

/// Size of one quadrant of the impact/effort matrix: room for a dozen notes.
const QUADRANT: Size = [800.0, 600.0];
/// Gap between frames, so their titles never touch the frame next to them.
const FRAME_GAP: f64 = 40.0;
/// Size of one retrospective column: tall, since notes pile up in a long meeting.
const RETRO_COLUMN: Size = [600.0, 900.0];

/// What a new board starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Template {
    #[default]
    Blank,
    StoryMap,
    ImpactEffort,
    Retrospective,
}

impl Template {
    pub const ALL: [Template; 4] = [
        Template::Blank,
        Template::StoryMap,
        Template::ImpactEffort,
        Template::Retrospective,
    ];

    /// The name used in the API and stored in `meta.template`.
    pub fn name(self) -> &'static str {
        match self {
            Template::Blank => "blank",
            Template::StoryMap => "story_map",
            Template::ImpactEffort => "impact_effort",
            Template::Retrospective => "retrospective",
        }
    }

    /// The name people read.
    pub fn label(self) -> &'static str {
        match self {
            Template::Blank => "Blank",
            Template::StoryMap => "Story map",
            Template::ImpactEffort => "Impact/effort matrix",
            Template::Retrospective => "Retrospective",
        }
    }

    /// Parses a name exactly as [`Template::name`] writes it.
    pub fn parse(name: &str) -> Option<Template> {
        Template::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The valid names, for error messages ("blank, story_map, ...").
    pub fn names() -> String {
        Template::ALL.map(Template::name).join(", ")
    }

    /// Writes the template's items into `board` and records its name. Meant for a new board:
    /// items go at fixed positions from the origin.
    pub fn apply(
        self,
        board: &Board,
        txn: &mut TransactionMut,
        author: &str,
        created_at: f64,
    ) -> Result<(), ModelError> {
        match self {
            Template::Blank => {}
            Template::StoryMap => story_map(board, txn, author, created_at)?,
            Template::ImpactEffort => impact_effort(board, txn, author, created_at)?,
            Template::Retrospective => retrospective(board, txn, author, created_at)?,
        }
        board.set_template(txn, self.name());
        Ok(())
    }
}

/// An example backbone people rename: three activities of two steps, two slices.
const BACKBONE: [(&str, [&str; 2]); 3] = [
    ("Discover", ["Search", "Browse"]),
    ("Decide", ["Compare", "Save for later"]),
    ("Buy", ["Check out", "Track order"]),
];

fn story_map(
    board: &Board,
    txn: &mut TransactionMut,
    author: &str,
    at: f64,
) -> Result<(), ModelError> {
    let map = board.create_story_map(txn, [0.0, 0.0], "Story map", author, at)?;
    for (activity, steps) in BACKBONE {
        let a = board.add_activity(txn, &map, None, activity, author, at)?;
        for step in steps {
            board.add_step(txn, &a, None, step, author, at)?;
        }
    }
    for release in ["MVP", "Release 2"] {
        board.add_release(txn, &map, None, release, author, at)?;
    }
    Ok(())
}

/// Quadrants left to right, top to bottom: high impact on top, low effort on the left.
const QUADRANTS: [&str; 4] = ["Quick wins", "Big bets", "Fill-ins", "Time sinks"];

fn impact_effort(
    board: &Board,
    txn: &mut TransactionMut,
    author: &str,
    at: f64,
) -> Result<(), ModelError> {
    // The matrix starts right of and above the axis labels.
    let origin: Point = [200.0, 0.0];
    for (i, name) in QUADRANTS.iter().enumerate() {
        let col = (i % 2) as f64;
        let row = (i / 2) as f64;
        let pos = [
            origin[0] + col * (QUADRANT[0] + FRAME_GAP),
            origin[1] + row * (QUADRANT[1] + FRAME_GAP),
        ];
        board.create_frame(txn, pos, Some(QUADRANT), name, author, at)?;
    }
    let height = 2.0 * QUADRANT[1] + FRAME_GAP;
    let width = 2.0 * QUADRANT[0] + FRAME_GAP;
    board.create_label(
        txn,
        [0.0, origin[1] + height / 2.0],
        "Impact ↑ (high on top)",
        author,
        at,
    )?;
    board.create_label(
        txn,
        [origin[0] + width / 2.0, origin[1] + height + FRAME_GAP],
        "Effort → (low on the left)",
        author,
        at,
    )?;
    Ok(())
}

fn retrospective(
    board: &Board,
    txn: &mut TransactionMut,
    author: &str,
    at: f64,
) -> Result<(), ModelError> {
    for (i, name) in ["Went well", "To improve", "Actions"].iter().enumerate() {
        let pos = [i as f64 * (RETRO_COLUMN[0] + FRAME_GAP), 0.0];
        board.create_frame(txn, pos, Some(RETRO_COLUMN), name, author, at)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ItemKind;
    use crate::storymap::StoryMap;

    fn applied(t: Template) -> crate::model::BoardSnapshot {
        let board = Board::with_client_id(1);
        let mut txn = board.transact_mut();
        t.apply(&board, &mut txn, "ann", 1.0).expect("apply");
        board.snapshot(&txn)
    }

    fn texts(s: &crate::model::BoardSnapshot, kind: ItemKind) -> Vec<String> {
        let mut v: Vec<String> = s
            .items
            .values()
            .filter(|i| i.kind == kind)
            .map(|i| i.text.clone())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn names_parse_back_and_unknown_names_do_not() {
        for t in Template::ALL {
            assert_eq!(Template::parse(t.name()), Some(t));
        }
        assert_eq!(Template::parse("kanban"), None);
        assert_eq!(
            Template::names(),
            "blank, story_map, impact_effort, retrospective"
        );
    }

    #[test]
    fn each_template_writes_its_items_and_its_name() {
        let blank = applied(Template::Blank);
        assert!(blank.items.is_empty());
        assert_eq!(blank.meta.template.as_deref(), Some("blank"));

        let map = applied(Template::StoryMap);
        let maps = StoryMap::all(&map);
        assert_eq!(maps.len(), 1);
        let names: Vec<_> = maps[0].activities.iter().map(|a| &a.name).collect();
        assert_eq!(names, ["Discover", "Decide", "Buy"]);
        assert!(maps[0].activities.iter().all(|a| a.steps.len() == 2));
        let slices: Vec<_> = maps[0].releases.iter().map(|r| &r.name).collect();
        assert_eq!(slices, ["MVP", "Release 2", "Unscheduled"]);

        let matrix = applied(Template::ImpactEffort);
        assert_eq!(
            texts(&matrix, ItemKind::Frame),
            ["Big bets", "Fill-ins", "Quick wins", "Time sinks"]
        );
        let labels = texts(&matrix, ItemKind::Text);
        assert!(labels[0].starts_with("Effort") && labels[1].starts_with("Impact"));

        let retro = applied(Template::Retrospective);
        assert_eq!(
            texts(&retro, ItemKind::Frame),
            ["Actions", "To improve", "Went well"]
        );
        assert_eq!(retro.meta.template.as_deref(), Some("retrospective"));
    }
}
