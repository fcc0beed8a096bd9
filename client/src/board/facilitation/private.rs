//! Private notes on the page: the person's own notes written while private writing is on,
//! as the server last sent them (`Event::Private`, all of them each time). The private
//! writing work fills this in; the channel calls [`on_private`].

use huddle_shared::facilitation::PrivateNote;

use crate::board::State;

/// The server sent this person's own private notes (all of them, replacing what was shown).
pub fn on_private(s: &mut State, notes: Vec<PrivateNote>) {
    let _ = (s, notes);
}
