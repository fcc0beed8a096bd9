//! Access data beside the boards, each kind in its own tree:
//!
//! - `settings`: `cookie_secret` (32 random bytes that sign person cookies) and `admin_key`;
//! - `people`: person id -> [`Profile`] (JSON), written once a person sets a name or colour
//!   or becomes admin; people who never did are not stored at all;
//! - `grants`: `{board}/{person}` -> [`Grant`] (JSON): the role a person holds on a board;
//! - `member_of`: `{person}/{board}` -> the same grant, so that listing a person's boards
//!   reads only their own entries (board ids and person ids never contain `/`);
//! - `links`: board -> [`Links`] (JSON): the key of each share link.
//!
//! A board without any grant belongs to the admin alone: that is every board written before
//! people existed, so an upgrade exposes nothing and loses nothing.

use super::kv::{Batch, Tree};
use huddle_shared::access::{Role, keys_equal};
use serde::{Deserialize, Serialize};

use super::{Store, StoreError};

/// Settings key of the secret that signs person cookies.
const COOKIE_SECRET: &str = "cookie_secret";
/// Settings key of the admin key.
const ADMIN_KEY: &str = "admin_key";

/// What others see of a person, and whether they administer the server.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Chosen display name; empty until chosen (the person is then "Guest NNNN").
    #[serde(default)]
    pub name: String,
    /// Chosen colour (`#rrggbb`, one of the palette); empty until chosen.
    #[serde(default)]
    pub color: String,
    /// Opened the admin link: sees and manages every board.
    #[serde(default)]
    pub admin: bool,
}

/// A person's standing on a board.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Grant {
    /// The role held; `None`: removed by an owner (a share link no longer lets them in).
    pub role: Option<Role>,
    /// When it was granted or removed, ms since the Unix epoch.
    pub at: u64,
}

/// The keys of a board's share links, one per role a link can grant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Links {
    pub editor: String,
    pub commenter: String,
    pub viewer: String,
}

impl Links {
    pub fn key(&self, role: Role) -> Option<&str> {
        match role {
            Role::Editor => Some(&self.editor),
            Role::Commenter => Some(&self.commenter),
            Role::Viewer => Some(&self.viewer),
            Role::Owner => None,
        }
    }

    pub fn key_mut(&mut self, role: Role) -> Option<&mut String> {
        match role {
            Role::Editor => Some(&mut self.editor),
            Role::Commenter => Some(&mut self.commenter),
            Role::Viewer => Some(&mut self.viewer),
            Role::Owner => None,
        }
    }

    /// The role `key` grants, compared in constant time with every link's key.
    pub fn role_of(&self, key: &str) -> Option<Role> {
        Role::LINKS
            .into_iter()
            .filter(|r| self.key(*r).is_some_and(|k| keys_equal(k, key)))
            .max()
    }
}

/// The secrets of a server, made on its first start.
#[derive(Clone)]
pub struct Secrets {
    pub cookie_secret: Vec<u8>,
    pub admin_key: String,
    /// The admin key was made just now (the admin link is printed once, then).
    pub admin_key_created: bool,
}

fn pair(first: &str, second: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(first.len() + second.len() + 1);
    k.extend_from_slice(first.as_bytes());
    k.push(b'/');
    k.extend_from_slice(second.as_bytes());
    k
}

fn prefix(first: &str) -> Vec<u8> {
    let mut k = first.as_bytes().to_vec();
    k.push(b'/');
    k
}

fn json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

fn parse<T: for<'a> Deserialize<'a>>(bytes: &[u8]) -> Option<T> {
    serde_json::from_slice(bytes).ok()
}

impl Store {
    pub(super) fn access_trees(db: &super::kv::Db) -> Result<AccessTrees, StoreError> {
        Ok(AccessTrees {
            settings: db.open_tree("settings")?,
            people: db.open_tree("people")?,
            grants: db.open_tree("grants")?,
            member_of: db.open_tree("member_of")?,
            links: db.open_tree("links")?,
        })
    }

    fn access(&self) -> &AccessTrees {
        &self.inner.access
    }

    // ---- settings ---------------------------------------------------------------------------

    /// The server's secrets, made with `random` on first use (and written before this returns).
    pub fn secrets(
        &self,
        mut random: impl FnMut() -> Result<[u8; 32], getrandom::Error>,
    ) -> Result<Secrets, StoreError> {
        let settings = &self.access().settings;
        // Created only where absent: nodes of a cluster starting together agree on the one
        // that was written first.
        let cookie_secret = match settings.get(COOKIE_SECRET)? {
            Some(secret) => secret.to_vec(),
            None => {
                let secret = random()?.to_vec();
                match settings.compare_and_swap(
                    COOKIE_SECRET,
                    None::<&[u8]>,
                    Some(secret.clone()),
                )? {
                    Ok(()) => secret,
                    Err(first) => first.map(|s| s.to_vec()).unwrap_or(secret),
                }
            }
        };
        let (admin_key, admin_key_created) = match self.admin_key()? {
            Some(key) => (key, false),
            None => {
                let key = huddle_shared::access::key(random()?);
                match settings.compare_and_swap(ADMIN_KEY, None::<&[u8]>, Some(key.as_bytes()))? {
                    Ok(()) => (key, true),
                    Err(first) => (
                        first.map_or(key, |k| String::from_utf8_lossy(&k).into_owned()),
                        false,
                    ),
                }
            }
        };
        self.flush_blocking()?;
        Ok(Secrets {
            cookie_secret,
            admin_key,
            admin_key_created,
        })
    }

    pub fn admin_key(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .access()
            .settings
            .get(ADMIN_KEY)?
            .map(|k| String::from_utf8_lossy(&k).into_owned()))
    }

    /// Replaces the admin key with one made from `random`, and takes the admin's rights from
    /// everyone who had opened the old admin link. Returns the new key.
    pub fn rotate_admin_key(&self, random: [u8; 32]) -> Result<String, StoreError> {
        let key = huddle_shared::access::key(random);
        self.access().settings.insert(ADMIN_KEY, key.as_bytes())?;
        for entry in self.access().people.iter() {
            let (id, value) = entry?;
            if let Some(mut profile) = parse::<Profile>(&value)
                && profile.admin
            {
                profile.admin = false;
                self.access().people.insert(id, json(&profile))?;
            }
        }
        self.mark_written();
        Ok(key)
    }

    // ---- people -----------------------------------------------------------------------------

    pub fn profile(&self, person: &str) -> Result<Option<Profile>, StoreError> {
        Ok(self.access().people.get(person)?.and_then(|v| parse(&v)))
    }

    pub fn put_profile(&self, person: &str, profile: &Profile) -> Result<(), StoreError> {
        self.access().people.insert(person, json(profile))?;
        self.mark_written();
        Ok(())
    }

    // ---- grants -----------------------------------------------------------------------------

    pub fn grant(&self, board: &str, person: &str) -> Result<Option<Grant>, StoreError> {
        Ok(self
            .access()
            .grants
            .get(pair(board, person))?
            .and_then(|v| parse(&v)))
    }

    /// Sets a person's standing on a board (both indexes, atomically).
    pub fn set_grant(&self, board: &str, person: &str, grant: Grant) -> Result<(), StoreError> {
        let value = json(&grant);
        let (by_board, by_person) = (pair(board, person), pair(person, board));
        let (mut grants, mut member_of) = (Batch::default(), Batch::default());
        grants.insert(by_board, value.as_slice());
        member_of.insert(by_person, value);
        let trees = self.access();
        trees
            .grants
            .apply_pair(grants, &trees.member_of, member_of)?;
        self.mark_written();
        Ok(())
    }

    /// Every later grant written by this process (the "board shared" notices; in a cluster
    /// each node reports the grants it writes).
    pub fn watch_grants(&self) -> tokio::sync::mpsc::UnboundedReceiver<super::kv::Entry> {
        self.access().grants.watch_inserts()
    }

    /// Everyone with a standing on `board` (removed people included), by person id.
    pub fn grants_of_board(&self, board: &str) -> Result<Vec<(String, Grant)>, StoreError> {
        scan(&self.access().grants, board)
    }

    /// Every board `person` has a standing on (removed included), by board id.
    pub fn grants_of_person(&self, person: &str) -> Result<Vec<(String, Grant)>, StoreError> {
        scan(&self.access().member_of, person)
    }

    // ---- links ------------------------------------------------------------------------------

    pub fn links(&self, board: &str) -> Result<Option<Links>, StoreError> {
        Ok(self.access().links.get(board)?.and_then(|v| parse(&v)))
    }

    pub fn put_links(&self, board: &str, links: &Links) -> Result<(), StoreError> {
        self.access().links.insert(board, json(links))?;
        self.mark_written();
        Ok(())
    }

    /// Removes a deleted board's grants and links.
    pub(super) fn delete_access(&self, board: &str) -> Result<(), StoreError> {
        for (person, _) in self.grants_of_board(board)? {
            let (by_board, by_person) = (pair(board, &person), pair(&person, board));
            let (mut grants, mut member_of) = (Batch::default(), Batch::default());
            grants.remove(by_board);
            member_of.remove(by_person);
            let trees = self.access();
            trees
                .grants
                .apply_pair(grants, &trees.member_of, member_of)?;
        }
        self.access().links.remove(board)?;
        Ok(())
    }
}

/// Entries of `tree` under `{first}/`, by the part after the slash.
fn scan(tree: &Tree, first: &str) -> Result<Vec<(String, Grant)>, StoreError> {
    let start = prefix(first).len();
    let mut out = Vec::new();
    for entry in tree.scan_prefix(prefix(first)) {
        let (key, value) = entry?;
        if let (Some(second), Some(grant)) = (key.get(start..), parse::<Grant>(&value)) {
            out.push((String::from_utf8_lossy(second).into_owned(), grant));
        }
    }
    Ok(out)
}

/// The access trees (see the module docs).
pub(super) struct AccessTrees {
    settings: Tree,
    people: Tree,
    grants: Tree,
    member_of: Tree,
    links: Tree,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Arc::default()).unwrap();
        (dir, store)
    }

    #[test]
    fn secrets_are_made_once() {
        let (dir, store) = store();
        let first = store.secrets(|| Ok([1; 32])).unwrap();
        assert!(first.admin_key_created);
        let again = store.secrets(|| Ok([2; 32])).unwrap();
        assert!(!again.admin_key_created);
        assert_eq!(again.admin_key, first.admin_key);
        assert_eq!(again.cookie_secret, vec![1; 32]);
        drop(store);
        let reopened = Store::open(dir.path(), Arc::default()).unwrap();
        assert_eq!(reopened.admin_key().unwrap(), Some(first.admin_key));
    }

    #[test]
    fn grants_are_indexed_both_ways_and_go_with_the_board() {
        let (_dir, store) = store();
        let editor = Grant {
            role: Some(Role::Editor),
            at: 1,
        };
        store.set_grant("b1", "p1", editor).unwrap();
        store
            .set_grant("b1", "p2", Grant { role: None, at: 2 })
            .unwrap();
        store.set_grant("b10", "p1", editor).unwrap();
        assert_eq!(store.grant("b1", "p1").unwrap(), Some(editor));
        assert_eq!(store.grants_of_board("b1").unwrap().len(), 2);
        let boards: Vec<String> = store
            .grants_of_person("p1")
            .unwrap()
            .into_iter()
            .map(|(b, _)| b)
            .collect();
        assert_eq!(boards, ["b1", "b10"]);
        store
            .put_links(
                "b1",
                &Links {
                    editor: "e".into(),
                    commenter: "c".into(),
                    viewer: "v".into(),
                },
            )
            .unwrap();
        store.delete_access("b1").unwrap();
        assert!(store.grants_of_board("b1").unwrap().is_empty());
        assert_eq!(store.grants_of_person("p1").unwrap().len(), 1, "b10 stays");
        assert_eq!(store.links("b1").unwrap(), None);
    }

    #[test]
    fn link_keys_name_their_role() {
        let links = Links {
            editor: "e".repeat(43),
            commenter: "c".repeat(43),
            viewer: "v".repeat(43),
        };
        assert_eq!(links.role_of(&"c".repeat(43)), Some(Role::Commenter));
        assert_eq!(links.role_of(&"x".repeat(43)), None);
        assert_eq!(links.role_of(""), None);
    }

    #[test]
    fn rotating_the_admin_key_ends_every_admin() {
        let (_dir, store) = store();
        store.secrets(|| Ok([1; 32])).unwrap();
        let admin = Profile {
            admin: true,
            ..Default::default()
        };
        store.put_profile("p", &admin).unwrap();
        let key = store.rotate_admin_key([9; 32]).unwrap();
        assert_eq!(store.admin_key().unwrap(), Some(key));
        assert!(!store.profile("p").unwrap().unwrap().admin);
    }
}
