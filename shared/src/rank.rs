//! Fractional ranks: order keys that can always be squeezed between two others.
//!
//! Orderings in a board (stacking, story order inside a column, lanes) are ranks, not array
//! moves: moving an item writes one new rank, and concurrent moves by several people converge
//! without duplicates or losses. Two replicas can pick the same rank concurrently; readers
//! break such ties by item id, so every replica still sorts identically.
//!
//! A rank is a string of base-62 digits read as a fraction `0.d1 d2 d3 ...`; digits sort in
//! ASCII order (`0-9 < A-Z < a-z`), so comparing ranks is comparing strings. A valid rank is
//! non-empty and does not end in `0` (so that there is always room below it).

const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE: usize = DIGITS.len();

/// The rank of the first item in an empty ordering: the middle of the digit range.
pub const FIRST: &str = "V";

fn digit(c: u8) -> Option<usize> {
    match c {
        b'0'..=b'9' => Some((c - b'0') as usize),
        b'A'..=b'Z' => Some((c - b'A') as usize + 10),
        b'a'..=b'z' => Some((c - b'a') as usize + 36),
        _ => None,
    }
}

/// Whether `rank` is a well-formed rank (ranks written by other replicas are untrusted).
pub fn is_valid(rank: &str) -> bool {
    !rank.is_empty() && !rank.ends_with('0') && rank.bytes().all(|c| digit(c).is_some())
}

/// A rank strictly between `lo` and `hi` (`None` means the start or the end of the ordering).
///
/// Invalid or out-of-order bounds are tolerated rather than trusted: an invalid bound is treated
/// as absent, and if `lo >= hi` the result sorts after `lo`.
pub fn between(lo: Option<&str>, hi: Option<&str>) -> String {
    let lo = lo.filter(|r| is_valid(r)).unwrap_or("");
    let hi = hi.filter(|r| is_valid(r) && lo < *r);
    let mut out = Vec::new();
    midpoint(lo.as_bytes(), hi.map(str::as_bytes), &mut out);
    // `midpoint` only pushes bytes taken from DIGITS or from the inputs, all ASCII.
    String::from_utf8(out).unwrap_or_else(|_| FIRST.to_owned())
}

/// A rank after `lo` (for "bring to front" and appending).
pub fn after(lo: Option<&str>) -> String {
    between(lo, None)
}

/// A rank before `hi` (for "send to back").
pub fn before(hi: Option<&str>) -> String {
    between(None, hi)
}

/// Appends to `out` the digits of a fraction strictly between `a` and `b` (`b = None` is 1).
/// Preconditions (ensured by [`between`]): `a < b`, both valid digit strings without trailing
/// zeros (`a` may be empty, meaning 0).
fn midpoint(mut a: &[u8], mut b: Option<&[u8]>, out: &mut Vec<u8>) {
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
        if db - da > 1 {
            out.push(DIGITS[(da + db).div_ceil(2)]);
            return;
        }
        // The first digits are consecutive.
        match b {
            Some(bb) if bb.len() > 1 => {
                out.push(bb[0]);
                return;
            }
            _ => {
                out.push(DIGITS[da]);
                a = a.get(1..).unwrap_or(&[]);
                b = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn simple_cases() {
        assert_eq!(between(None, None), FIRST);
        assert!(between(Some("V"), None).as_str() > "V");
        assert!(between(None, Some("V")).as_str() < "V");
        let m = between(Some("a"), Some("b"));
        assert!("a" < m.as_str() && m.as_str() < "b", "{m}");
        let m = between(Some("a"), Some("a1"));
        assert!("a" < m.as_str() && m.as_str() < "a1", "{m}");
        assert!(is_valid(&m));
    }

    #[test]
    fn hostile_bounds_are_tolerated() {
        // Invalid characters, trailing zeros, reversed and equal bounds never panic.
        for (lo, hi) in [
            (Some("é"), Some("a")),
            (Some("a0"), None),
            (Some("b"), Some("a")),
            (Some("a"), Some("a")),
            (Some(""), Some("")),
            (Some("zzzz"), None),
        ] {
            let r = between(lo, hi);
            assert!(is_valid(&r), "{lo:?} {hi:?} -> {r:?}");
        }
        assert!(between(Some("b"), Some("a")).as_str() > "b");
    }

    #[test]
    fn repeated_appends_and_prepends_stay_ordered() {
        let mut last = FIRST.to_owned();
        for _ in 0..1000 {
            let next = after(Some(&last));
            assert!(next > last);
            last = next;
        }
        let mut first = FIRST.to_owned();
        for _ in 0..1000 {
            let prev = before(Some(&first));
            assert!(prev < first && is_valid(&prev), "{prev}");
            first = prev;
        }
    }

    fn rank() -> impl Strategy<Value = String> {
        "[0-9A-Za-z]{0,6}[1-9A-Za-z]"
    }

    proptest! {
        #[test]
        fn between_is_strictly_between(a in rank(), b in rank()) {
            prop_assume!(a != b);
            let (lo, hi) = if a < b { (a, b) } else { (b, a) };
            let m = between(Some(&lo), Some(&hi));
            prop_assert!(lo < m && m < hi, "{} < {} < {}", lo, m, hi);
            prop_assert!(is_valid(&m));
        }

        #[test]
        fn repeated_bisection_keeps_order(a in rank(), steps in 1usize..60) {
            let mut lo = a;
            let hi = after(Some(&lo));
            for _ in 0..steps {
                let m = between(Some(&lo), Some(&hi));
                prop_assert!(lo < m && m < hi);
                lo = m;
            }
        }
    }
}
