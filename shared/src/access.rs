//! Who may do what on a board: roles, the signed person cookie, link keys, and the rules every
//! incoming message is checked against before a room acts on it.
//!
//! Pure: the server brings the secret, the randomness and the store; this module only decides.
//! Everything that reads untrusted text here (cookie headers, keys, awareness states) returns
//! `None` or `false` on anything unexpected and never panics (fuzzed: `cargo xtask fuzz`).

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use yrs::{IdSet, ReadTxn, Update};

use crate::wire::{HuddleMessage, Message};

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

// ---- tokens -------------------------------------------------------------------------------------

/// Name of the cookie that carries the signed person id.
pub const PERSON_COOKIE: &str = "huddle_person";
/// Random bytes in a person id: 128 bits, never guessed, never repeated.
pub const PERSON_ID_BYTES: usize = 16;
/// Random bytes in a link key or the admin key: 256 bits, so a key cannot be guessed.
pub const KEY_BYTES: usize = 32;
/// Length of a person id as text (unpadded base64url of [`PERSON_ID_BYTES`]).
pub const PERSON_ID_LEN: usize = 22;
/// Length of a key as text (unpadded base64url of [`KEY_BYTES`]).
pub const KEY_LEN: usize = 43;
/// Bytes of the cookie's signature kept (HMAC-SHA256 truncated to 128 bits, as many MACs are).
const COOKIE_MAC_BYTES: usize = 16;
/// Length of the cookie's signature as text.
const COOKIE_MAC_LEN: usize = 22;
/// Longest `Cookie` header read, so a huge header costs no more than this to scan.
const MAX_COOKIE_HEADER: usize = 8 << 10;

const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Unpadded base64url (RFC 4648 section 5): the alphabet of ids and keys in URLs and cookies.
pub fn base64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(BASE64URL[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

fn is_base64url(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A person id: [`PERSON_ID_LEN`] base64url characters.
pub fn is_valid_person_id(id: &str) -> bool {
    is_base64url(id, PERSON_ID_LEN)
}

/// A link key or admin key: [`KEY_LEN`] base64url characters.
pub fn is_valid_key(key: &str) -> bool {
    is_base64url(key, KEY_LEN)
}

/// A person id from fresh random bytes (the server supplies them).
pub fn person_id(random: [u8; PERSON_ID_BYTES]) -> String {
    base64url(&random)
}

/// A key from fresh random bytes (the server supplies them).
pub fn key(random: [u8; KEY_BYTES]) -> String {
    base64url(&random)
}

fn mac(secret: &[u8], purpose: &str, message: &str) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key");
    mac.update(purpose.as_bytes());
    mac.update(&[0]);
    mac.update(message.as_bytes());
    mac.finalize().into_bytes().into()
}

/// The person id of someone a trusted proxy names `user` (`--trusted-user-header`): the same
/// name always gives the same id on this server, and the id reveals nothing of the name.
pub fn person_id_for_user(secret: &[u8], user: &str) -> String {
    let digest = mac(secret, "trusted-user", user);
    let mut id = [0; PERSON_ID_BYTES];
    id.copy_from_slice(&digest[..PERSON_ID_BYTES]);
    person_id(id)
}

/// The cookie value for `person`: `{person}.{signature}`.
pub fn sign_person(secret: &[u8], person: &str) -> String {
    let digest = mac(secret, "person-cookie", person);
    format!("{person}.{}", base64url(&digest[..COOKIE_MAC_BYTES]))
}

/// The person id in a cookie value made by [`sign_person`] with the same secret; `None` for
/// anything else (a forged, truncated or foreign value).
pub fn verify_person<'a>(secret: &[u8], value: &'a str) -> Option<&'a str> {
    let (person, signature) = value.split_once('.')?;
    if !is_valid_person_id(person) || !is_base64url(signature, COOKIE_MAC_LEN) {
        return None;
    }
    let expected = sign_person(secret, person);
    keys_equal(&expected, value).then_some(person)
}

/// Whether two keys are equal, in time that does not depend on where they differ.
pub fn keys_equal(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}

/// The value of cookie `name` in a `Cookie` request header (`a=1; b=2`), if present once or
/// more (the first wins). Headers longer than 8 KiB are not read.
pub fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    if header.len() > MAX_COOKIE_HEADER {
        return None;
    }
    header.split(';').find_map(|pair| {
        let (n, v) = pair.split_once('=')?;
        (n.trim() == name).then(|| v.trim().trim_matches('"'))
    })
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
        | Message::Huddle(HuddleMessage::SaveRequest { .. } | HuddleMessage::Saved { .. }) => {
            Gate::Pass
        }
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

// ---- presence -----------------------------------------------------------------------------------

/// Who an awareness state says it is: its `user.id` and `user.name`, if it has them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserClaim {
    pub id: Option<String>,
    pub name: Option<String>,
}

/// The `user` an awareness state (JSON text) announces. `None` for a state without one (a
/// departure is `null`; stock clients may send anything); a state that is not JSON claims
/// nothing either.
pub fn user_claim(state: &str) -> Option<UserClaim> {
    let value: serde_json::Value = serde_json::from_str(state).ok()?;
    let user = value.get("user")?;
    let text = |key: &str| user.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    Some(UserClaim {
        id: text("id"),
        name: text("name"),
    })
}

/// Names compare as people read them: case and surrounding spaces do not make a new name.
pub fn same_name(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
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
    fn base64url_matches_rfc_4648() {
        assert_eq!(base64url(b""), "");
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
        assert!(is_valid_person_id(&person_id([7; PERSON_ID_BYTES])));
        assert!(is_valid_key(&key([255; KEY_BYTES])));
        assert!(!is_valid_key(&person_id([7; PERSON_ID_BYTES])));
        assert!(!is_valid_key(&"a".repeat(42)));
        assert!(!is_valid_key(&format!("{}=", "a".repeat(42))));
    }

    #[test]
    fn cookies_verify_only_with_their_secret_and_person() {
        let person = person_id([1; PERSON_ID_BYTES]);
        let value = sign_person(b"secret", &person);
        assert_eq!(verify_person(b"secret", &value), Some(person.as_str()));
        assert_eq!(verify_person(b"other", &value), None);
        let other = person_id([2; PERSON_ID_BYTES]);
        let (_, signature) = value.split_once('.').unwrap();
        assert_eq!(
            verify_person(b"secret", &format!("{other}.{signature}")),
            None
        );
        assert_eq!(verify_person(b"secret", &person), None);
        assert_eq!(verify_person(b"secret", &value[..value.len() - 1]), None);
        assert_eq!(verify_person(b"secret", ""), None);
        assert_eq!(verify_person(b"secret", "é.é"), None);
    }

    #[test]
    fn cookie_headers_are_read_leniently() {
        let h = "theme=dark; huddle_person=abc.def ;x=\"1\"";
        assert_eq!(cookie(h, "huddle_person"), Some("abc.def"));
        assert_eq!(cookie(h, "x"), Some("1"));
        assert_eq!(cookie(h, "missing"), None);
        assert_eq!(cookie("", "x"), None);
        assert_eq!(cookie("novalue", "novalue"), None);
        assert_eq!(cookie(&"a=b;".repeat(5000), "a"), None, "too long");
    }

    #[test]
    fn trusted_users_get_stable_distinct_ids() {
        let a = person_id_for_user(b"s", "alice@example.com");
        assert_eq!(a, person_id_for_user(b"s", "alice@example.com"));
        assert_ne!(a, person_id_for_user(b"s", "bob@example.com"));
        assert_ne!(a, person_id_for_user(b"t", "alice@example.com"));
        assert!(is_valid_person_id(&a));
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

    #[test]
    fn user_claims_are_read_from_any_state() {
        let claim =
            user_claim(r##"{"user":{"id":"p1","name":"Ana","color":"#fff"},"cursor":null}"##);
        assert_eq!(
            claim,
            Some(UserClaim {
                id: Some("p1".into()),
                name: Some("Ana".into())
            })
        );
        assert_eq!(user_claim("null"), None);
        assert_eq!(user_claim(r#"{"cursor":{"x":1}}"#), None);
        assert_eq!(user_claim("not json"), None);
        assert_eq!(
            user_claim(r#"{"user":{"name":5}}"#),
            Some(UserClaim::default())
        );
        assert!(same_name(" Ana ", "ana") && !same_name("Ana", "Anna"));
    }
}
