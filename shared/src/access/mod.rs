//! Who may do what on a board: roles, the signed person cookie, link keys, and the rules every
//! incoming message is checked against before a room acts on it.
//!
//! - this file: [`Role`]s and the gate: what a role may send ([`gate`]), and whether a
//!   read-only client's write adds anything ([`adds_to`]);
//! - `token`: person ids, keys, the signed cookie, and reading `Cookie` headers;
//! - `presence`: who an awareness state claims to be ([`user_claim`]).
//!
//! Pure: the server brings the secret, the randomness and the store; this module only decides.
//! Everything that reads untrusted text here (cookie headers, keys, awareness states) returns
//! `None` or `false` on anything unexpected and never panics (fuzzed: `cargo xtask fuzz`).

use serde::{Deserialize, Serialize};
use yrs::{IdSet, ReadTxn, Update};

use crate::wire::Message;

mod presence;
mod token;

pub use presence::{Unreadable, UserClaim, same_name, user_claim, with_user_id};
pub use token::{
    KEY_BYTES, KEY_LEN, PERSON_COOKIE, PERSON_ID_BYTES, PERSON_ID_LEN, base64url, cookie,
    is_valid_key, is_valid_person_id, key, keys_equal, person_id, person_id_for_user, sign_person,
    verify_person,
};

/// What a person holds on a board. Ordered: each role may do everything the ones before it may.
/// In JSON (the HTTP API, the store) a role is its lowercase name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Sees the board, the people and every change live; sends presence (cursor, selection).
    Viewer,
    /// A viewer who may comment (comments come with a later release; until then, a viewer).
    Commenter,
    /// Changes the board.
    Editor,
    /// An editor who also shares the board, changes roles, renames and deletes it.
    Owner,
}

impl Role {
    /// Every role, lowest first.
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Commenter, Role::Editor, Role::Owner];

    /// The roles a share link can grant (a board has one link for each).
    pub const LINKS: [Role; 3] = [Role::Editor, Role::Commenter, Role::Viewer];

    pub fn name(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Commenter => "commenter",
            Role::Editor => "editor",
            Role::Owner => "owner",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }

    /// May change the document (sync step 2 and updates that add something).
    pub fn may_edit(self) -> bool {
        self >= Role::Editor
    }

    /// May write comments (used by the comments release).
    pub fn may_comment(self) -> bool {
        self >= Role::Commenter
    }

    /// May share the board, change roles, rename and delete it.
    pub fn may_manage(self) -> bool {
        self == Role::Owner
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
// ---- the gate -----------------------------------------------------------------------------------

/// What a room does with an incoming message, by the sender's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// The role allows it.
    Pass,
    /// A document write from someone who may not edit: apply it only if it adds nothing
    /// ([`adds_to`]), otherwise refuse it.
    ReadOnly,
}

/// The check every incoming message passes first. Reading, presence and Huddle's own messages
/// are open to every role; what changes the document needs [`Role::may_edit`].
pub fn gate(role: Role, message: &Message) -> Gate {
    match message {
        Message::SyncStep2(_) | Message::Update(_) if !role.may_edit() => Gate::ReadOnly,
        Message::SyncStep1(_)
        | Message::SyncStep2(_)
        | Message::Update(_)
        | Message::Awareness(_)
        | Message::AwarenessQuery
        | Message::Auth(_)
        // Round commands are checked by the rules of rounds, which know who may do what.
        | Message::Huddle(_) => Gate::Pass,
    }
}

/// Whether `update` (a validated update v1) holds anything the document read by `txn` lacks:
/// a block past its state vector, or a deletion it has not seen. A stock client's sync step 2
/// repeats the whole delete set of its copy on every connect; from a viewer that is nothing new.
/// `None` if yrs cannot decode the update.
pub fn adds_to<T: ReadTxn>(txn: &T, update: &[u8]) -> Option<bool> {
    let update = crate::wire::decode_update(update).ok()?;
    Some(update_adds_to(txn, &update))
}

/// [`adds_to`] for a decoded update.
pub fn update_adds_to<T: ReadTxn>(txn: &T, update: &Update) -> bool {
    let sv = txn.state_vector();
    let mut inserted = update.insertions(true);
    let known: IdSet = sv.iter().map(|(client, clock)| (*client, 0..*clock)).fold(
        IdSet::new(),
        |mut set, (client, range)| {
            if !range.is_empty() {
                set.insert(yrs::ID::new(client, 0), range.end);
            }
            set
        },
    );
    inserted.diff_with(&known);
    if !inserted.is_empty() {
        return true;
    }
    let deletes = update.delete_set();
    if deletes.is_empty() {
        return false;
    }
    let seen = txn.snapshot().delete_set;
    !deletes.diff(&seen).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Board, NewNote};
    use yrs::Transact;
    use yrs::updates::decoder::Decode;

    #[test]
    fn roles_are_ordered_and_named() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.name()), Some(role));
        }
        assert_eq!(Role::parse("admin"), None);
        assert!(Role::Owner.may_manage() && !Role::Editor.may_manage());
        assert!(Role::Editor.may_edit() && !Role::Commenter.may_edit());
        assert!(Role::Commenter.may_comment() && !Role::Viewer.may_comment());
    }

    #[test]
    fn only_editors_pass_writes() {
        let write = Message::Update(vec![0, 0]);
        let read = Message::SyncStep1(Default::default());
        for role in Role::ALL {
            let expected = if role.may_edit() {
                Gate::Pass
            } else {
                Gate::ReadOnly
            };
            assert_eq!(gate(role, &write), expected);
            assert_eq!(gate(role, &Message::SyncStep2(vec![0, 0])), expected);
            assert_eq!(gate(role, &read), Gate::Pass);
            assert_eq!(gate(role, &Message::AwarenessQuery), Gate::Pass);
        }
    }

    fn note(board: &Board, x: f64) -> String {
        let mut txn = board.transact_mut();
        board
            .create_note(
                &mut txn,
                NewNote {
                    pos: [x, 0.0],
                    ..Default::default()
                },
            )
            .unwrap()
    }

    fn sync(from: &Board, to: &Board) {
        let sv = to.doc().transact().state_vector();
        let update = from.doc().transact().encode_state_as_update_v1(&sv);
        to.doc()
            .transact_mut()
            .apply_update(Update::decode_v1(&update).unwrap())
            .unwrap();
    }

    #[test]
    fn a_replicas_echo_adds_nothing_but_its_own_edits_do() {
        let server = Board::new();
        let a = note(&server, 1.0);
        note(&server, 2.0);
        server.delete_item(&mut server.transact_mut(), &a).unwrap();
        let viewer = Board::new();
        sync(&server, &viewer);

        // What a stock client sends on connect: everything past the server's state vector
        // (nothing) and its whole delete set (all of it known).
        let server_sv = server.doc().transact().state_vector();
        let echo = viewer
            .doc()
            .transact()
            .encode_state_as_update_v1(&server_sv);
        assert!(!Update::decode_v1(&echo).unwrap().delete_set().is_empty());
        assert_eq!(adds_to(&server.doc().transact(), &echo), Some(false));
        assert_eq!(adds_to(&server.doc().transact(), &[0, 0]), Some(false));

        // A new note.
        note(&viewer, 3.0);
        let edit = viewer
            .doc()
            .transact()
            .encode_state_as_update_v1(&server_sv);
        assert_eq!(adds_to(&server.doc().transact(), &edit), Some(true));

        // A deletion of something the server still has.
        let viewer2 = Board::new();
        sync(&server, &viewer2);
        let b = server
            .snapshot(&server.doc().transact())
            .items
            .keys()
            .next()
            .cloned()
            .unwrap();
        viewer2
            .delete_item(&mut viewer2.transact_mut(), &b)
            .unwrap();
        let delete = viewer2
            .doc()
            .transact()
            .encode_state_as_update_v1(&server_sv);
        assert_eq!(adds_to(&server.doc().transact(), &delete), Some(true));

        // The server's whole state, sent back to it: nothing new.
        let full = server
            .doc()
            .transact()
            .encode_state_as_update_v1(&Default::default());
        assert_eq!(adds_to(&server.doc().transact(), &full), Some(false));
    }
}
