//! Fractional ranks: order keys that can always be squeezed between two others.
//!
//! Orderings in a board (stacking, story order inside a column, lanes) are ranks, not array
//! moves: moving an item writes one new rank, and concurrent moves by several people converge
//! without duplicates or losses. Two replicas can pick the same rank concurrently; readers
//! break such ties by item id, so every replica still sorts identically.
//!
//! The format is David Greenspan's "fractional indexing" (also used by Figma-style and Yjs
//! apps): a variable-length integer part whose first character encodes its length (`a0`,
//! `a1`, ..., `az`, `b00`, ...), then an optional base-62 fraction that never ends in `0`.
//! Appending increments the integer, so 10,000 appends produce 4-character keys instead of
//! keys that grow by a character every few appends. Keys compare as plain strings
//! (`0-9 < A-Z < a-z` in ASCII).

const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE: usize = DIGITS.len();

/// The rank of the first item in an empty ordering.
pub const FIRST: &str = "a0";

/// The smallest integer part (`A` followed by 26 zeros); nothing sorts below it but its
/// fractions.
const SMALLEST_INTEGER: &str = "A00000000000000000000000000";

fn digit(c: u8) -> Option<usize> {
    match c {
        b'0'..=b'9' => Some((c - b'0') as usize),
        b'A'..=b'Z' => Some((c - b'A') as usize + 10),
        b'a'..=b'z' => Some((c - b'a') as usize + 36),
        _ => None,
    }
}

/// Length of the integer part announced by its head character.
fn integer_len(head: u8) -> Option<usize> {
    match head {
        b'a'..=b'z' => Some((head - b'a') as usize + 2),
        b'A'..=b'Z' => Some((b'Z' - head) as usize + 2),
        _ => None,
    }
}

/// Splits a key into its integer and fraction parts, if it is well-formed.
fn split(key: &str) -> Option<(&str, &str)> {
    let len = integer_len(*key.as_bytes().first()?)?;
    if key.len() < len || !key.bytes().skip(1).all(|c| digit(c).is_some()) {
        return None;
    }
    let (int, frac) = key.split_at(len);
    if frac.ends_with('0') || key == SMALLEST_INTEGER {
        return None;
    }
    Some((int, frac))
}

/// Whether `rank` is a well-formed rank (ranks written by other replicas are untrusted).
pub fn is_valid(rank: &str) -> bool {
    split(rank).is_some()
}

/// A rank strictly between `lo` and `hi` (`None` means the start or the end of the ordering).
///
/// Bounds from other replicas are not trusted: an invalid bound is treated as absent, and if
/// `lo >= hi` the result sorts after `lo`.
pub fn between(lo: Option<&str>, hi: Option<&str>) -> String {
    let lo = lo.filter(|r| is_valid(r));
    let hi = hi.filter(|r| is_valid(r) && lo.is_none_or(|lo| lo < *r));
    match (lo, hi) {
        (None, None) => FIRST.to_owned(),
        (None, Some(hi)) => before_key(hi),
        (Some(lo), None) => after_key(lo),
        (Some(lo), Some(hi)) => between_keys(lo, hi),
    }
}

/// A rank after `lo` (for "bring to front" and appending).
pub fn after(lo: Option<&str>) -> String {
    between(lo, None)
}

/// A rank before `hi` (for "send to back").
pub fn before(hi: Option<&str>) -> String {
    between(None, hi)
}

fn after_key(lo: &str) -> String {
    let Some((int, frac)) = split(lo) else {
        return FIRST.to_owned();
    };
    match increment(int) {
        Some(next) => next,
        None => format!("{int}{}", midpoint(frac.as_bytes(), None)),
    }
}

fn before_key(hi: &str) -> String {
    let Some((int, frac)) = split(hi) else {
        return FIRST.to_owned();
    };
    if int == SMALLEST_INTEGER {
        return format!("{int}{}", midpoint(b"", Some(frac.as_bytes())));
    }
    if int.len() < hi.len() {
        return int.to_owned(); // `hi` has a fraction: its bare integer sorts just below it
    }
    match decrement(int) {
        Some(prev) => prev,
        None => format!("{int}{}", midpoint(b"", Some(frac.as_bytes()))),
    }
}

fn between_keys(lo: &str, hi: &str) -> String {
    let (Some((ia, fa)), Some((ib, fb))) = (split(lo), split(hi)) else {
        return after_key(lo);
    };
    if ia == ib {
        return format!("{ia}{}", midpoint(fa.as_bytes(), Some(fb.as_bytes())));
    }
    match increment(ia) {
        Some(next) if next.as_str() < hi => next,
        _ => format!("{ia}{}", midpoint(fa.as_bytes(), None)),
    }
}

/// The next integer part, or `None` past the largest one.
fn increment(int: &str) -> Option<String> {
    let (head, digits) = int.as_bytes().split_first()?;
    let mut digits = digits.to_vec();
    for d in digits.iter_mut().rev() {
        let next = digit(*d)? + 1;
        if next < BASE {
            *d = DIGITS[next];
            return Some(format!(
                "{}{}",
                *head as char,
                String::from_utf8(digits).ok()?
            ));
        }
        *d = DIGITS[0];
    }
    // Every digit carried: the integer needs one more (or, for negatives, one fewer) digit.
    match head {
        b'Z' => Some("a0".to_owned()),
        b'z' => None,
        _ => {
            let next_head = head + 1;
            if next_head > b'a' {
                digits.push(DIGITS[0]);
            } else {
                digits.pop();
            }
            Some(format!(
                "{}{}",
                next_head as char,
                String::from_utf8(digits).ok()?
            ))
        }
    }
}

/// The previous integer part, or `None` below the smallest one.
fn decrement(int: &str) -> Option<String> {
    let (head, digits) = int.as_bytes().split_first()?;
    let mut digits = digits.to_vec();
    for d in digits.iter_mut().rev() {
        match digit(*d)?.checked_sub(1) {
            Some(prev) => {
                *d = DIGITS[prev];
                return Some(format!(
                    "{}{}",
                    *head as char,
                    String::from_utf8(digits).ok()?
                ));
            }
            None => *d = DIGITS[BASE - 1],
        }
    }
    match head {
        b'a' => Some(format!("Z{}", DIGITS[BASE - 1] as char)),
        b'A' => None,
        _ => {
            let prev_head = head - 1;
            if prev_head < b'Z' {
                digits.push(DIGITS[BASE - 1]);
            } else {
                digits.pop();
            }
            Some(format!(
                "{}{}",
                prev_head as char,
                String::from_utf8(digits).ok()?
            ))
        }
    }
}

/// Digits of a fraction strictly between `a` and `b` (`b = None` is 1). Preconditions: `a < b`,
/// both digit strings without trailing zeros (`a` may be empty, meaning 0).
fn midpoint(mut a: &[u8], mut b: Option<&[u8]>) -> String {
    let mut out = Vec::new();
    loop {
        if let Some(bb) = b {
            // Copy the common prefix, padding `a` with zeros.
            let n = bb
                .iter()
                .enumerate()
                .take_while(|&(i, &c)| a.get(i).copied().unwrap_or(b'0') == c)
                .count();
            if n > 0 {
                out.extend_from_slice(&bb[..n]);
                a = a.get(n..).unwrap_or(&[]);
                b = Some(&bb[n..]);
                continue;
            }
        }
        let da = a.first().and_then(|&c| digit(c)).unwrap_or(0);
        let db = b
            .and_then(|bb| bb.first())
            .and_then(|&c| digit(c))
            .unwrap_or(BASE);
        if db > da + 1 {
            out.push(DIGITS[(da + db).div_ceil(2)]);
            break;
        }
        // The first digits are consecutive.
        match b {
            Some(bb) if bb.len() > 1 => {
                out.push(bb[0]);
                break;
            }
            _ => {
                out.push(DIGITS[da]);
                a = a.get(1..).unwrap_or(&[]);
                b = None;
            }
        }
    }
    // Only ASCII digits were pushed.
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn matches_the_reference_algorithm() {
        // Values from the fractional-indexing reference tests.
        assert_eq!(between(None, None), "a0");
        assert_eq!(between(None, Some("a0")), "Zz");
        assert_eq!(between(None, Some("Zz")), "Zy");
        assert_eq!(between(Some("a0"), None), "a1");
        assert_eq!(between(Some("a1"), None), "a2");
        assert_eq!(between(Some("a0"), Some("a1")), "a0V");
        assert_eq!(between(Some("a1"), Some("a2")), "a1V");
        assert_eq!(between(Some("a0V"), Some("a1")), "a0l");
        assert_eq!(between(Some("Zz"), Some("a0")), "ZzV");
        assert_eq!(between(Some("Zz"), Some("a1")), "a0");
        assert_eq!(between(None, Some("Y00")), "Xzzz");
        assert_eq!(between(Some("bzz"), None), "c000");
        assert_eq!(between(Some("a0"), Some("a0V")), "a0G");
        assert_eq!(between(Some("a0"), Some("a0G")), "a08");
        assert_eq!(between(Some("b125"), Some("b129")), "b127");
        assert_eq!(between(Some("a0"), Some("a1V")), "a1");
        assert_eq!(between(Some("Zz"), Some("a01")), "a0");
        assert_eq!(between(None, Some("a0V")), "a0");
        assert_eq!(between(None, Some("b999")), "b99");
        assert_eq!(
            between(Some("zzzzzzzzzzzzzzzzzzzzzzzzzzy"), None),
            "zzzzzzzzzzzzzzzzzzzzzzzzzzz"
        );
        assert_eq!(
            between(Some("zzzzzzzzzzzzzzzzzzzzzzzzzzz"), None),
            "zzzzzzzzzzzzzzzzzzzzzzzzzzzV"
        );
    }

    #[test]
    fn hostile_bounds_are_tolerated() {
        for (lo, hi) in [
            (Some("é"), Some("a0")),
            (Some("a00"), None),
            (Some("a1"), Some("a0")),
            (Some("a0"), Some("a0")),
            (Some(""), Some("")),
            (Some(SMALLEST_INTEGER), None),
            (Some("V"), Some("k")),
        ] {
            let r = between(lo, hi);
            assert!(is_valid(&r), "{lo:?} {hi:?} -> {r:?}");
        }
        assert!(between(Some("a2"), Some("a1")).as_str() > "a2");
    }

    #[test]
    fn appends_and_prepends_stay_short() {
        let mut last = FIRST.to_owned();
        for _ in 0..10_000 {
            let next = after(Some(&last));
            assert!(next > last && is_valid(&next));
            last = next;
        }
        assert!(last.len() <= 4, "{last}");
        let mut first = FIRST.to_owned();
        for _ in 0..10_000 {
            let prev = before(Some(&first));
            assert!(prev < first && is_valid(&prev), "{prev}");
            first = prev;
        }
        assert!(first.len() <= 4, "{first}");
    }

    proptest! {
        /// Random insertions anywhere keep a strictly increasing list of valid keys.
        #[test]
        fn random_insertions_stay_ordered(positions in proptest::collection::vec(0usize..1000, 1..200)) {
            let mut keys: Vec<String> = Vec::new();
            for p in positions {
                let at = p % (keys.len() + 1);
                let lo = at.checked_sub(1).map(|i| keys[i].as_str());
                let hi = keys.get(at).map(String::as_str);
                let k = between(lo, hi);
                prop_assert!(is_valid(&k), "{:?}", k);
                prop_assert!(lo.is_none_or(|lo| lo < k.as_str()) && hi.is_none_or(|hi| k.as_str() < hi), "{:?} {:?} {:?}", lo, k, hi);
                keys.insert(at, k);
            }
        }

        /// Repeated bisection towards one neighbour keeps order.
        #[test]
        fn repeated_bisection_keeps_order(steps in 1usize..80, up in any::<bool>()) {
            let (mut lo, mut hi) = (FIRST.to_owned(), after(Some(FIRST)));
            for _ in 0..steps {
                let m = between(Some(&lo), Some(&hi));
                prop_assert!(lo < m && m < hi && is_valid(&m));
                if up { lo = m } else { hi = m }
            }
        }
    }
}
