//! Roles on boards: what a person holds on a board (and what a share link's key gives them),
//! the share links themselves, and owners' changes to both. Blocking (sled): call from a
//! blocking thread or where a few microseconds of reads do not matter.
//!
//! The rules:
//! - the admin holds `Owner` on every board;
//! - a person removed from a board holds nothing there, whatever link they open;
//! - otherwise a person holds the role granted to them, or the role of the share link whose
//!   key they present, whichever is higher; a key that gives more is remembered (a grant), so
//!   the link need not be kept, and rotating it later does not shut them out;
//! - without a grant, a key or the admin's rights, a board does not exist for a person.

use huddle_shared::access::{Role, is_valid_key};

use crate::people::Person;
use crate::random;
use crate::store::{Grant, Links, Store, StoreError, now_ms};

/// Why a change to roles or links was refused.
#[derive(Debug, thiserror::Error)]
pub enum SharingError {
    #[error("a board keeps at least one owner: make someone else owner first")]
    LastOwner,
    #[error("owners are made by giving a person the owner role, not by a link")]
    NoOwnerLink,
    #[error("no random numbers for a new key: {0}")]
    Random(#[from] getrandom::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The role `person` holds on `board`, presenting `key` (a share link's key, if any). With
/// `remember`, a key that gives more than they hold is stored as their grant. Callers pass
/// `false` where a new person's cookie cannot reach the client (a WebSocket upgrade from a
/// client that keeps no cookies: nobody could present that person again).
pub fn role_on(
    store: &Store,
    board: &str,
    person: &Person,
    key: Option<&str>,
    remember: bool,
) -> Result<Option<Role>, StoreError> {
    if store.board_meta(board)?.is_none() {
        return Ok(None);
    }
    if person.admin {
        return Ok(Some(Role::Owner));
    }
    let grant = if person.new {
        None
    } else {
        store.grant(board, &person.id)?
    };
    if grant.is_some_and(|g| g.role.is_none()) {
        return Ok(None); // removed
    }
    let held = grant.and_then(|g| g.role);
    let from_link = match key.filter(|k| is_valid_key(k)) {
        Some(key) => store.links(board)?.and_then(|links| links.role_of(key)),
        None => None,
    };
    match from_link {
        Some(link) if held.is_none_or(|h| link > h) => {
            if remember {
                let grant = Grant {
                    role: Some(link),
                    at: now_ms(),
                };
                store.set_grant(board, &person.id, grant)?;
            }
            Ok(Some(link))
        }
        _ => Ok(held),
    }
}

/// Makes `person` the owner of a board they just created.
pub fn make_owner(store: &Store, board: &str, person: &str) -> Result<(), StoreError> {
    let grant = Grant {
        role: Some(Role::Owner),
        at: now_ms(),
    };
    store.set_grant(board, person, grant)
}

/// The board's share links, made on first use.
pub fn links(store: &Store, board: &str) -> Result<Links, SharingError> {
    if let Some(links) = store.links(board)? {
        return Ok(links);
    }
    let links = Links {
        editor: random::key()?,
        commenter: random::key()?,
        viewer: random::key()?,
    };
    store.put_links(board, &links)?;
    Ok(links)
}

/// Gives the link for `role` a new key: the old one stops working at once. People who joined
/// through it keep their role.
pub fn rotate_link(store: &Store, board: &str, role: Role) -> Result<Links, SharingError> {
    let mut links = links(store, board)?;
    *links.key_mut(role).ok_or(SharingError::NoOwnerLink)? = random::key()?;
    store.put_links(board, &links)?;
    Ok(links)
}

/// Sets `person`'s role on `board` (`None`: removes them). An owner cannot leave a board
/// without an owner; the admin can (the board is then the admin's alone).
pub fn set_role(
    store: &Store,
    board: &str,
    by: &Person,
    person: &str,
    role: Option<Role>,
) -> Result<(), SharingError> {
    let was_owner = store
        .grant(board, person)?
        .is_some_and(|g| g.role == Some(Role::Owner));
    if was_owner && role != Some(Role::Owner) && !by.admin {
        let owners = store
            .grants_of_board(board)?
            .into_iter()
            .filter(|(_, g)| g.role == Some(Role::Owner))
            .count();
        if owners <= 1 {
            return Err(SharingError::LastOwner);
        }
    }
    store.set_grant(board, person, Grant { role, at: now_ms() })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use crate::store::BoardMeta;

    fn person(id: &str) -> Person {
        Person {
            id: Arc::from(id),
            new: false,
            admin: false,
            proxy_user: None,
        }
    }

    fn setup() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Arc::default()).unwrap();
        let meta = BoardMeta {
            title: "t".into(),
            created_at: 0,
            updated_at: 0,
        };
        store.insert_board("b", &meta, &[0, 0]).unwrap();
        (dir, store)
    }

    #[test]
    fn a_board_is_nothing_without_a_role() {
        let (_dir, store) = setup();
        assert_eq!(
            role_on(&store, "b", &person("p"), None, true).unwrap(),
            None
        );
        assert_eq!(
            role_on(&store, "nope", &person("p"), None, true).unwrap(),
            None
        );
        let admin = Person {
            admin: true,
            ..person("a")
        };
        assert_eq!(
            role_on(&store, "b", &admin, None, true).unwrap(),
            Some(Role::Owner)
        );
        assert_eq!(role_on(&store, "nope", &admin, None, true).unwrap(), None);
    }

    #[test]
    fn links_grant_once_and_rotation_keeps_who_joined() {
        let (_dir, store) = setup();
        let links = links(&store, "b").unwrap();
        let (ana, bob) = (person("ana"), person("bob"));
        let viewer = Some(links.viewer.as_str());
        assert_eq!(
            role_on(&store, "b", &ana, viewer, true).unwrap(),
            Some(Role::Viewer)
        );
        // Remembered: no key needed any more.
        assert_eq!(
            role_on(&store, "b", &ana, None, true).unwrap(),
            Some(Role::Viewer)
        );
        // A higher link raises the role; a lower one does not lower it.
        let editor = Some(links.editor.as_str());
        assert_eq!(
            role_on(&store, "b", &ana, editor, true).unwrap(),
            Some(Role::Editor)
        );
        assert_eq!(
            role_on(&store, "b", &ana, viewer, true).unwrap(),
            Some(Role::Editor)
        );
        // Rotation: the old key lets nobody new in; who joined stays.
        let rotated = rotate_link(&store, "b", Role::Editor).unwrap();
        assert_ne!(rotated.editor, links.editor);
        assert_eq!(rotated.viewer, links.viewer);
        assert_eq!(role_on(&store, "b", &bob, editor, true).unwrap(), None);
        assert_eq!(
            role_on(&store, "b", &ana, None, true).unwrap(),
            Some(Role::Editor)
        );
        // Without remembering (a cookieless connection), nothing is stored.
        let bob = Person { new: true, ..bob };
        let key = Some(rotated.editor.as_str());
        assert_eq!(
            role_on(&store, "b", &bob, key, false).unwrap(),
            Some(Role::Editor)
        );
        assert_eq!(role_on(&store, "b", &bob, None, false).unwrap(), None);
        assert_eq!(store.grant("b", "bob").unwrap(), None);
        assert!(matches!(
            rotate_link(&store, "b", Role::Owner),
            Err(SharingError::NoOwnerLink)
        ));
    }

    #[test]
    fn removed_people_stay_out_and_boards_keep_an_owner() {
        let (_dir, store) = setup();
        let owner = person("owner");
        make_owner(&store, "b", &owner.id).unwrap();
        let links = links(&store, "b").unwrap();
        let key = Some(links.editor.as_str());
        role_on(&store, "b", &person("ana"), key, true).unwrap();
        set_role(&store, "b", &owner, "ana", None).unwrap();
        assert_eq!(
            role_on(&store, "b", &person("ana"), key, true).unwrap(),
            None
        );
        assert!(matches!(
            set_role(&store, "b", &owner, "owner", Some(Role::Editor)),
            Err(SharingError::LastOwner)
        ));
        set_role(&store, "b", &owner, "ana", Some(Role::Owner)).unwrap();
        set_role(&store, "b", &owner, "owner", Some(Role::Editor)).unwrap();
        assert_eq!(
            role_on(&store, "b", &person("ana"), None, true).unwrap(),
            Some(Role::Owner)
        );
    }
}
