//! Keyboard shortcuts: which key does what ([`action`], pure and unit-tested), the list the
//! help dialog shows ([`SHORTCUTS`]), and the window's key listeners. A key becomes an
//! [`Action`]; what an action does is [`super::dispatch`]'s.

use huddle_shared::arrange::{Align, Axis, Op};
use huddle_shared::model::Color;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Event, KeyboardEvent};

use super::dispatch::{self, Action};
use super::{Page, State, editor, rounds};
use crate::dom::{self, Listener};

/// World units an arrow key moves the selection (x10 with shift).
const NUDGE: f64 = 10.0;

/// What the help dialog lists: (keys, what they do). Keep in step with [`action`].
pub const SHORTCUTS: &[(&str, &str)] = &[
    (
        "Double-click",
        "New note / edit a note, a story map's title or a part's name",
    ),
    ("N", "New note in the middle of the view"),
    ("F / T", "New frame / new text label"),
    (
        "M",
        "New story map (one activity, one step, the slice MVP) in the middle of the view",
    ),
    (
        "E",
        "Collapse or expand the selected story-map activity or release slice",
    ),
    (
        "I",
        "Story details: estimate, type, status, persona, description of the selected note",
    ),
    (
        "C",
        "Arrow between the two selected items (or pick the arrow tool)",
    ),
    (
        "Shift+C",
        "Comment on the selected item (or the middle of the view); the comments panel lists \
         threads: open, mine, mentions me. In a comment: @ completes names, Tab takes one, \
         Ctrl+Enter posts",
    ),
    ("Enter", "Edit the selected note"),
    (
        "Escape",
        "Stop editing, put the tool away, clear the selection, close help or the facilitator \
         panel",
    ),
    (
        "Click, Shift+click, drag on empty canvas",
        "Select, add to selection, marquee",
    ),
    ("Delete / Backspace", "Delete the selection"),
    ("Arrow keys (Shift: x10)", "Nudge the selection"),
    ("1 – 8", "Colour of the selection and of new notes"),
    ("Alt+I", "Open or close your inbox"),
    ("Ctrl+Z", "Undo"),
    ("Ctrl+Shift+Z / Ctrl+Y", "Redo"),
    ("Ctrl+A", "Select all"),
    ("Ctrl+C / Ctrl+V", "Copy / paste (also across boards)"),
    ("Ctrl+D", "Duplicate"),
    ("] / [", "Bring to front / send to back"),
    (
        "Alt+Shift+T",
        "Tidy the selection (or a selected frame's contents) into a grid",
    ),
    ("Alt+A / D / W / S", "Align left / right / top / bottom"),
    ("Alt+H / Alt+V", "Align centres horizontally / vertically"),
    (
        "Alt+Shift+H / Alt+Shift+V",
        "Distribute horizontally / vertically",
    ),
    ("Space+drag, middle drag, wheel", "Pan"),
    ("Ctrl+wheel, pinch, + / -", "Zoom"),
    ("Shift+1 / Shift+0", "Zoom to fit / zoom to 100%"),
    (
        "V",
        "Vote: start a round (dot vote, fist to five, planning poker, impact/effort) on the \
         selection, a selected frame's notes, or the whole board",
    ),
    (
        "Click / Shift+click or Alt+click",
        "During a dot vote: a dot on an item of the round / take one off",
    ),
    (
        "D / Shift+D",
        "During a dot vote: a dot on each selected item / take one off",
    ),
    ("0 – 5", "During a fist to five: show that many fingers"),
    (
        "1 – 9, 0",
        "During planning poker: pick the card with that key (shown on the card)",
    ),
    (", / .", "During planning poker: previous / next story"),
    (
        "Tab",
        "Reach the round bar's cards, pickers, dot list (\"Vote from a list\"), Reveal and Cancel",
    ),
    (
        "L",
        "Results and decision log: spreads, Accept, Re-run, dissent, Record decision",
    ),
    (
        "G",
        "Facilitator panel: who facilitates (hand on, rotate, take the role), the agenda, the \
         timer, the contribution balance, the history",
    ),
    (
        "Ctrl+Shift+L",
        "Lock the selection (a story map: its backbone) so only the facilitator and owners can \
         change it; again to unlock",
    ),
    (
        ". / ,",
        "Next / previous change since you last looked (centres it)",
    ),
    (
        "H",
        "Version history: versions with time, authors and changes; save one, open one \
         read-only, restore (owners), copy to a new board",
    ),
    (
        "Shift+P",
        "Picture (PNG) of the selection, or of the whole board; more in the board menu",
    ),
    (
        "Ctrl+Z (just after a restore)",
        "Undo the restore (while \"Undo restore\" is offered, 30 seconds)",
    ),
    ("?", "This help"),
];

/// The action for a key press (`key` and `code` as in `KeyboardEvent`; `ctrl` is ctrl or cmd).
pub fn action(key: &str, code: &str, ctrl: bool, shift: bool, alt: bool) -> Option<Action> {
    if alt {
        return if ctrl { None } else { alt_action(code, shift) };
    }
    if ctrl {
        return match key.to_ascii_lowercase().as_str() {
            "z" if shift => Some(Action::Redo),
            "z" => Some(Action::Undo),
            "y" => Some(Action::Redo),
            "a" => Some(Action::SelectAll),
            "c" => Some(Action::Copy),
            "v" => Some(Action::Paste),
            "d" => Some(Action::Duplicate),
            "l" if shift => Some(Action::Lock),
            _ => None,
        };
    }
    if shift && code == "Digit1" {
        return Some(Action::ZoomFit);
    }
    if shift && code == "Digit0" {
        return Some(Action::Zoom100);
    }
    let step = if shift { NUDGE * 10.0 } else { NUDGE };
    Some(match key {
        "Delete" | "Backspace" => Action::Delete,
        "ArrowLeft" => Action::Nudge(-step, 0.0),
        "ArrowRight" => Action::Nudge(step, 0.0),
        "ArrowUp" => Action::Nudge(0.0, -step),
        "ArrowDown" => Action::Nudge(0.0, step),
        "]" => Action::Front,
        "[" => Action::Back,
        "+" | "=" => Action::ZoomIn,
        "-" | "_" => Action::ZoomOut,
        "?" => Action::Help,
        "Escape" => Action::Escape,
        "Enter" => Action::Edit,
        "n" | "N" => Action::NewNote,
        "f" | "F" => Action::NewFrame,
        "t" | "T" => Action::NewText,
        "C" if shift => Action::Comment,
        "c" | "C" => Action::Connect,
        "m" | "M" => Action::NewStoryMap,
        "e" | "E" => Action::Collapse,
        "i" | "I" => Action::StoryDetails,
        "v" | "V" => Action::Vote,
        "l" | "L" => Action::Decisions,
        "g" | "G" => Action::Facilitate,
        "." => Action::NextChange(true),
        "," => Action::NextChange(false),
        "h" | "H" => Action::History,
        "P" if shift => Action::Picture,
        _ if !shift && key.len() == 1 => {
            let digit = key.chars().next()?.to_digit(10)? as usize;
            if (1..=Color::ALL.len()).contains(&digit) {
                Action::Color(digit - 1)
            } else {
                return None;
            }
        }
        _ => return None,
    })
}

/// Alt shortcuts arrange. They go by `code` (the key's place), since Alt changes `key` on
/// some layouts (Alt+A is `å` on a Mac).
fn alt_action(code: &str, shift: bool) -> Option<Action> {
    let op = match (code, shift) {
        ("KeyT", true) => Op::Tidy,
        ("KeyH", true) => Op::Distribute(Axis::Horizontal),
        ("KeyV", true) => Op::Distribute(Axis::Vertical),
        ("KeyA", false) => Op::Align(Align::Left),
        ("KeyD", false) => Op::Align(Align::Right),
        ("KeyW", false) => Op::Align(Align::Top),
        ("KeyS", false) => Op::Align(Align::Bottom),
        ("KeyH", false) => Op::Align(Align::CenterHorizontal),
        ("KeyV", false) => Op::Align(Align::CenterVertical),
        _ => return None,
    };
    Some(Action::Arrange(op))
}

/// Window key listeners: shortcuts, and space held for panning.
pub fn install(page: &Page) -> Result<(), JsValue> {
    let window = dom::window()?;
    let weak = std::rc::Rc::downgrade(page);
    Listener::new(&window, "keydown", move |e: Event| {
        let Some(page) = weak.upgrade() else {
            return;
        };
        let Ok(mut s) = page.try_borrow_mut() else {
            return;
        };
        if let Some(e) = e.dyn_ref::<KeyboardEvent>() {
            key_down(&mut s, e);
        }
    })?
    .forever();
    let weak = std::rc::Rc::downgrade(page);
    Listener::new(&window, "keyup", move |e: Event| {
        if let (Some(page), Some(e)) = (weak.upgrade(), e.dyn_ref::<KeyboardEvent>())
            && e.key() == " "
            && let Ok(mut s) = page.try_borrow_mut()
        {
            s.pointer.space = false;
        }
    })?
    .forever();
    let weak = std::rc::Rc::downgrade(page);
    Listener::new(&window, "blur", move |_| {
        if let Some(page) = weak.upgrade()
            && let Ok(mut s) = page.try_borrow_mut()
        {
            s.pointer.space = false;
        }
    })?
    .forever();
    Ok(())
}

fn key_down(s: &mut State, e: &KeyboardEvent) {
    let target = e.target();
    if editor::is_editor(s, target.as_ref()) {
        if e.key() == "Escape" {
            e.prevent_default();
            editor::close(s);
        }
        return;
    }
    // Keys typed into other fields (a name in the people panel...) are theirs.
    if let Some(el) = target
        .as_ref()
        .and_then(|t| t.dyn_ref::<web_sys::Element>())
    {
        let tag = el.tag_name();
        if tag == "INPUT" || tag == "TEXTAREA" || tag == "SELECT" {
            return;
        }
        // Space and Enter on a focused button press it (and open a focused `<summary>`).
        if (tag == "BUTTON" || tag == "A" || tag == "SUMMARY")
            && (e.key() == " " || e.key() == "Enter")
        {
            return;
        }
    }
    if e.key() == " " {
        e.prevent_default();
        s.pointer.space = true;
        return;
    }
    let ctrl = e.ctrl_key() || e.meta_key();
    // An open round's keys (cards, dots, poker's stories) come before the board's.
    if !ctrl && !e.alt_key() && rounds::key(s, &e.key()) {
        e.prevent_default();
        return;
    }
    if let Some(action) = action(&e.key(), &e.code(), ctrl, e.shift_key(), e.alt_key()) {
        e.prevent_default();
        dispatch::run(s, action);
    }
}

#[cfg(test)]
mod tests {
    use super::super::arrange;
    use super::*;

    #[test]
    fn maps_keys_to_actions() {
        let a = |key, code, ctrl, shift| action(key, code, ctrl, shift, false);
        assert_eq!(a("z", "KeyZ", true, false), Some(Action::Undo));
        assert_eq!(a("Z", "KeyZ", true, true), Some(Action::Redo));
        assert_eq!(a("y", "KeyY", true, false), Some(Action::Redo));
        assert_eq!(a("!", "Digit1", false, true), Some(Action::ZoomFit));
        assert_eq!(a(")", "Digit0", false, true), Some(Action::Zoom100));
        assert_eq!(a("?", "Slash", false, true), Some(Action::Help));
        assert_eq!(a("3", "Digit3", false, false), Some(Action::Color(2)));
        assert_eq!(a("9", "Digit9", false, false), None);
        assert_eq!(
            a("ArrowLeft", "ArrowLeft", false, true),
            Some(Action::Nudge(-100.0, 0.0))
        );
        assert_eq!(
            a("Backspace", "Backspace", false, false),
            Some(Action::Delete)
        );
        assert_eq!(a("q", "KeyQ", false, false), None);
        assert_eq!(a("m", "KeyM", false, false), Some(Action::NewStoryMap));
        assert_eq!(a("E", "KeyE", false, true), Some(Action::Collapse));
        assert_eq!(a("i", "KeyI", false, false), Some(Action::StoryDetails));
        assert_eq!(a("v", "KeyV", false, false), Some(Action::Vote));
        assert_eq!(a("V", "KeyV", true, false), Some(Action::Paste));
        assert_eq!(a("l", "KeyL", false, false), Some(Action::Decisions));
        assert_eq!(a("G", "KeyG", false, true), Some(Action::Facilitate));
        assert_eq!(a("C", "KeyC", false, true), Some(Action::Comment));
        assert_eq!(a("P", "KeyP", false, true), Some(Action::Picture));
        assert_eq!(a("p", "KeyP", false, false), None);
        assert_eq!(a("c", "KeyC", false, false), Some(Action::Connect));
        assert_eq!(a("L", "KeyL", true, true), Some(Action::Lock));
        assert_eq!(a("l", "KeyL", true, false), None);
        assert_eq!(action("z", "KeyZ", true, false, true), None);
    }

    #[test]
    fn alt_keys_arrange_by_key_position() {
        let alt = |key, code, shift| action(key, code, false, shift, true);
        assert_eq!(alt("T", "KeyT", true), Some(Action::Arrange(Op::Tidy)));
        assert_eq!(
            alt("å", "KeyA", false),
            Some(Action::Arrange(Op::Align(Align::Left)))
        );
        assert_eq!(
            alt("s", "KeyS", false),
            Some(Action::Arrange(Op::Align(Align::Bottom)))
        );
        assert_eq!(
            alt("V", "KeyV", true),
            Some(Action::Arrange(Op::Distribute(Axis::Vertical)))
        );
        assert_eq!(
            alt("h", "KeyH", false),
            Some(Action::Arrange(Op::Align(Align::CenterHorizontal)))
        );
        assert_eq!(alt("t", "KeyT", false), None, "plain Alt+T is not tidy");
        assert_eq!(alt("q", "KeyQ", false), None);
        assert_eq!(
            action("a", "KeyA", true, false, true),
            None,
            "Ctrl+Alt is not ours"
        );
        // Without Alt these keys keep their meaning.
        assert_eq!(
            action("t", "KeyT", false, false, false),
            Some(Action::NewText)
        );
    }

    #[test]
    fn every_menu_shortcut_does_what_the_menu_entry_does() {
        for (name, _, keys, op) in arrange::ENTRIES {
            let Some(keys) = keys else { continue };
            let shift = keys.contains("Shift+");
            let letter = keys.chars().last().expect("a key");
            let code = format!("Key{letter}");
            assert_eq!(
                action(&letter.to_string(), &code, false, shift, true),
                Some(Action::Arrange(*op)),
                "{name}: {keys}"
            );
        }
    }
}
