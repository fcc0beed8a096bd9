//! Tokens: person ids, link and admin keys (unguessable, base64url), the signed person
//! cookie, and reading the `Cookie` request header.

use hmac::{Hmac, Mac};
use sha2::Sha256;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
