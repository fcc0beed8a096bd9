//! The features' part of [`super::State`]: what rounds, facilitation, locks, comments,
//! "since you last looked" and the story-map panels hold for this page. Each feature's
//! module owns its type and its panel; the board holds them here, together, so the rest of
//! `State` is the board itself (document, view, selection, connection).

use huddle_shared::model::Board;

use super::{comments, facilitation, locks, map_filter, rounds, since, story_panel};

pub struct Features {
    /// The story-map filter bar (its filter is applied by the map layout).
    pub map_filter: Option<map_filter::Bar>,
    /// The story fields of the one selected note (see `story_panel`).
    pub story_panel: Option<story_panel::Panel>,
    /// Rounds: the open ones as the server shows them to this person, results, decisions.
    pub rounds: rounds::Rounds,
    /// Facilitation: the facilitator, agenda, timer (the document's), the server's clock
    /// offset, the balance.
    pub facilitation: facilitation::Facilitation,
    /// Locks as this page last saw them, and the Lock / Unlock buttons.
    pub locks: locks::Seen,
    /// Comment threads as the server tells them, the queue of unsent ones, the panel.
    pub comments: comments::Comments,
    /// What others changed since this person last looked, until marked seen.
    pub since: since::Since,
}

impl Features {
    /// The features of a page on `board`, before anything is known (rounds and facilitation
    /// observe the document from now on; panels are installed later, see `install_panels`).
    pub fn observe(board: &Board) -> Self {
        Features {
            map_filter: None,
            story_panel: None,
            rounds: rounds::Rounds::observe(board),
            facilitation: facilitation::Facilitation::observe(board),
            locks: locks::Seen::default(),
            comments: comments::Comments::default(),
            since: since::Since::default(),
        }
    }
}
