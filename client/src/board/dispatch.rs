//! What the board does: one [`Action`] per thing a person can ask for, and [`run`], the one
//! dispatcher that does it. Keys ([`super::keys`] maps a key press to an action), the
//! toolbar's buttons ([`super::toolbar`]) and anything else that offers a command all call
//! [`run`], so a command behaves the same however it was asked for, and the rules that apply
//! to all of them (private writing takes some keys first; a viewer changes nothing) are
//! checked in one place.
//!
//! The dispatcher changes the state and calls the commands and panels that do the work
//! ([`super::actions`], [`super::arrange`], the features' toggles); it never calls back into
//! the toolbar: the toolbar shows the tool and colour from the state on the next frame
//! ([`super::toolbar::show`]).

use huddle_shared::arrange::Op;
use huddle_shared::model::Color;

use super::gesture::Tool;
use super::{
    State, actions, arrange, clipboard, editor, facilitation, help, rounds, story_panel, storymap,
};

/// Something a person can ask the board to do, by key, button or menu.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    Undo,
    Redo,
    Delete,
    Duplicate,
    SelectAll,
    Copy,
    Paste,
    Front,
    Back,
    ZoomFit,
    Zoom100,
    ZoomIn,
    ZoomOut,
    Nudge(f64, f64),
    Help,
    Escape,
    Edit,
    NewNote,
    NewFrame,
    NewText,
    /// Connect the two selected items, or pick the connector tool.
    Connect,
    /// Comment on the selected item (or the middle of the view): the comments panel.
    Comment,
    Color(usize),
    /// Sort, cluster, tidy, align or distribute the selection (or a selected frame's
    /// contents).
    Arrange(Op),
    /// A new story map in the middle of the view.
    NewStoryMap,
    /// Collapse or expand the selected activity or release slice.
    Collapse,
    /// Open or close the story panel (the selected note's estimate, type, status...).
    StoryDetails,
    /// The Vote dialog: start a round on the selection (owners and editors).
    Vote,
    /// Open or close the results and decision log panel.
    Decisions,
    /// Open or close the facilitator panel (role, agenda, timer, balance).
    Facilitate,
    /// A RACI matrix of the selected notes, with the board's people as columns.
    NewRaci,
    /// Lock the selection, or unlock it if all of it is locked (facilitator and owners; the
    /// server checks).
    Lock,
    /// Centre the next (or previous) change since you last looked.
    NextChange(bool),
    /// Open or close the version history panel.
    History,
    /// Download a picture (PNG) of the selection, or of the whole board.
    Picture,
}

impl Action {
    /// Whether the action changes the board (what a viewer may not do). Selecting, copying,
    /// zooming, help and collapsing (which only changes what this person sees) do not.
    pub fn changes_board(self) -> bool {
        !matches!(
            self,
            Action::SelectAll
                | Action::Copy
                | Action::ZoomFit
                | Action::Zoom100
                | Action::ZoomIn
                | Action::ZoomOut
                | Action::Help
                | Action::Escape
                | Action::Collapse
                | Action::Decisions
                | Action::Facilitate
                | Action::Lock
                // Comments are not the document's: commenters write them.
                | Action::Comment
                | Action::NextChange(_)
                | Action::History
                | Action::Picture
        )
    }
}

/// Does `action` on the board (nothing, if it changes the board and the person may not).
pub fn run(s: &mut State, action: Action) {
    // Private writing: new notes are private, and a selected private note takes the keys.
    if super::facilitation::private::intercept(s, action) {
        return;
    }
    if action.changes_board() && !s.may_edit() {
        return;
    }
    match action {
        Action::Undo if super::versions::undo_offered() => super::versions::undo_restore(),
        Action::Undo => actions::undo(s, false),
        Action::Redo => actions::undo(s, true),
        Action::Delete => actions::delete_selection(s),
        Action::Duplicate => actions::duplicate(s),
        Action::SelectAll => actions::select_all(s),
        Action::Copy => {
            if let Some(clip) = clipboard::copy(s) {
                clipboard::store(&clip);
            }
        }
        Action::Paste => actions::paste(s),
        Action::Front => actions::restack(s, true),
        Action::Back => actions::restack(s, false),
        Action::ZoomFit => actions::zoom_fit(s),
        Action::Zoom100 => actions::zoom_to(s, 1.0),
        Action::ZoomIn => actions::zoom_step(s, true),
        Action::ZoomOut => actions::zoom_step(s, false),
        Action::Nudge(dx, dy) => {
            let ids: Vec<String> = s.selection.ids.iter().cloned().collect();
            if !ids.is_empty() {
                actions::move_by(s, &ids, [dx, dy], false);
            }
        }
        Action::Help => help::toggle(s),
        Action::Escape => {
            if arrange::is_open(s) {
                arrange::close(s);
            } else if help::is_open(s) {
                help::toggle(s);
            } else if facilitation::is_open(s) {
                facilitation::toggle_panel(s);
            } else if super::comments::is_open(s) {
                super::comments::toggle_panel(s);
            } else if super::versions::is_open() {
                super::versions::toggle(s);
            } else if s.pointer.tool != Tool::Select {
                s.set_tool(Tool::Select);
            } else {
                s.set_selection(Default::default());
            }
        }
        Action::Edit => {
            if s.selection.ids.len() == 1
                && let Some(id) = s.selection.ids.iter().next().cloned()
            {
                editor::open(s, &id);
            }
        }
        Action::NewStoryMap => {
            let c = s.view.camera.viewport(s.view.size);
            storymap::actions::create_map(s, [c.x, c.y]);
        }
        Action::Collapse => storymap::actions::toggle_selected(s),
        Action::StoryDetails => story_panel::toggle(s),
        Action::Vote => rounds::open_vote_dialog(s),
        Action::Decisions => rounds::toggle_panel(s),
        Action::Facilitate => facilitation::toggle_panel(s),
        Action::Comment => super::comments::comment_on_selection(s),
        Action::NewRaci => super::raci::create(s),
        Action::Lock => super::locks::toggle_selection(s),
        Action::NextChange(forward) => super::since::step(s, forward),
        Action::History => super::versions::toggle(s),
        Action::Picture => super::pictures::shortcut(s),
        Action::NewNote | Action::NewFrame | Action::NewText => {
            let c = s.view.camera.viewport(s.view.size);
            let at = [c.x, c.y];
            match action {
                Action::NewFrame => actions::create_frame(s, at),
                Action::NewText => actions::create_label(s, at),
                _ => actions::create_note(s, at),
            };
        }
        Action::Connect => {
            if s.selection.ids.len() == 2 {
                actions::connect_selection(s);
            } else {
                s.set_tool(match s.pointer.tool {
                    Tool::Select => Tool::Connect { from: None },
                    Tool::Connect { .. } => Tool::Select,
                });
            }
        }
        Action::Arrange(op) => arrange::run(s, op),
        Action::Color(i) => {
            if let Some(color) = Color::ALL.get(i) {
                actions::recolor(s, *color);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewers_keep_looking_around_but_change_nothing() {
        for looking in [
            Action::SelectAll,
            Action::Copy,
            Action::ZoomFit,
            Action::Help,
            Action::Escape,
        ] {
            assert!(!looking.changes_board(), "{looking:?}");
        }
        for editing in [
            Action::NewNote,
            Action::Delete,
            Action::Paste,
            Action::Undo,
            Action::Nudge(1.0, 0.0),
            Action::Color(0),
            Action::Edit,
            Action::StoryDetails,
        ] {
            assert!(editing.changes_board(), "{editing:?}");
        }
    }
}
