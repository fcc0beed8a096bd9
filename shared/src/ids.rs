//! Identifiers: board ids (chosen by users or by the server) and item ids (random).

/// Longest board id accepted, so ids stay short in URLs and storage keys.
pub const MAX_BOARD_ID_LEN: usize = 64;

/// Length of generated item ids: 16 base-62 characters are ~95 random bits, so collisions
/// between replicas are not a practical concern.
const ITEM_ID_LEN: usize = 16;

/// Length of generated board ids: ~71 random bits, short enough to read out in a meeting.
const BOARD_ID_LEN: usize = 12;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Whether `id` is a valid board id: 1 to 64 characters of `A-Za-z0-9_-`.
pub fn is_valid_board_id(id: &str) -> bool {
    (1..=MAX_BOARD_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A fresh random board id.
pub fn new_board_id() -> String {
    random_string(BOARD_ID_LEN)
}

/// A fresh random item id.
pub fn new_item_id() -> String {
    random_string(ITEM_ID_LEN)
}

fn random_string(len: usize) -> String {
    let mut rng = fastrand::Rng::new();
    (0..len)
        .map(|_| ALPHABET[rng.usize(..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn board_ids() {
        assert!(is_valid_board_id("a"));
        assert!(is_valid_board_id("Sprint-42_refinement"));
        assert!(is_valid_board_id(&"x".repeat(64)));
        assert!(!is_valid_board_id(""));
        assert!(!is_valid_board_id(&"x".repeat(65)));
        assert!(!is_valid_board_id("a/b"));
        assert!(!is_valid_board_id("a.b"));
        assert!(!is_valid_board_id("é"));
        assert!(is_valid_board_id(&new_board_id()));
    }

    #[test]
    fn item_ids_are_distinct() {
        let ids: std::collections::HashSet<_> = (0..10_000).map(|_| new_item_id()).collect();
        assert_eq!(ids.len(), 10_000);
    }
}
