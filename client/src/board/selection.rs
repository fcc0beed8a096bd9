//! The selection's part of [`State`]: which items this person has selected, and in which
//! order they were clicked in; and what changing it tells the rest of the page (the Arrange
//! button, the Lock button, presence, the story panel, the next frame).

use std::collections::BTreeSet;

use super::{State, arrange, locks, story_panel};

#[derive(Default)]
pub struct Selection {
    /// The selected items' ids.
    pub ids: BTreeSet<String>,
    /// Items in the order they were clicked into the selection (`C` connects the last two).
    pub picked: Vec<String>,
}

impl State {
    pub fn set_selection(&mut self, selection: BTreeSet<String>) {
        if selection != self.selection.ids {
            self.selection.ids = selection;
            self.selection_changed();
        }
    }

    pub fn selection_changed(&mut self) {
        arrange::show(self);
        locks::selection_changed(self);
        if let Some(p) = &self.session.presence {
            let ids: Vec<String> = self.selection.ids.iter().cloned().collect();
            p.set_selection(&ids);
        }
        story_panel::refresh(self);
        self.request_frame();
    }
}
