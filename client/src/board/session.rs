//! The session's part of [`super::State`]: who this page is and how it talks to others, the
//! person (guest profile and role on this board), the connection to the server, the local
//! copy in IndexedDB and presence. Set by `connect` once the page is mounted; read by the
//! commands that sign, send or check what the person may do.

use huddle_shared::access::Role;

use super::PresenceLink;
use crate::identity::Guest;
use crate::net::Connection;
use crate::offline::LocalStore;

pub struct Session {
    pub guest: Guest,
    /// The person's role on this board ([`super::State::may_edit`]): a viewer until the
    /// server (or, offline, the last thing it said) tells more.
    pub role: Role,
    pub conn: Option<Connection>,
    /// The local copy in IndexedDB; kept for as long as the page.
    pub store: Option<LocalStore>,
    pub presence: Option<Box<dyn PresenceLink>>,
}

impl Session {
    /// `guest`'s session before connecting: a viewer, no connection, no local copy yet.
    pub fn new(guest: Guest) -> Self {
        Session {
            guest,
            role: Role::Viewer,
            conn: None,
            store: None,
            presence: None,
        }
    }
}
