//! Stable sorting with one copy of the sort code in the web client.
//!
//! `slice::sort_by` is generic over the element and the comparison, so each call gets its own
//! copy of std's driftsort, about 5 KB of wasm: 50 of them were 226 KB of the 2.25 MB client
//! (issue 16, BENCHMARKS.md "Issue 16: download size"). On wasm32 these functions sort the
//! *indices* with the comparison behind `dyn`, so all their callers share one copy of the sort,
//! and then move the elements into place; each call adds only that small permutation. The result is
//! the same as `sort_by`'s (stable: equal elements keep their order). Native builds (the
//! server, the tests) call std's sort directly: there it is faster and size does not matter.

use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Sorts `v` by `compare`, stably: what `v.sort_by(compare)` does.
pub fn sort_by<T>(v: &mut [T], mut compare: impl FnMut(&T, &T) -> Ordering) {
    #[cfg(target_arch = "wasm32")]
    by_indices(v, &mut compare);
    #[cfg(not(target_arch = "wasm32"))]
    if size_of::<T>() > BIG {
        by_indices(v, &mut compare);
    } else {
        v.sort_by(|a, b| compare(a, b));
    }
}

/// Elements larger than this are sorted through their indices natively too: std's sort moves
/// each element about log2(n) times (a board's items, a few hundred bytes each, spent more
/// time moved than compared).
#[cfg(not(target_arch = "wasm32"))]
const BIG: usize = 128;

/// Sorts `v` by the key `key` gives, stably: what `v.sort_by_key(key)` does.
pub fn sort_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `v` in ascending order, stably: what `v.sort()` does.
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// The map of `pairs`, as `collect()` makes it (of two pairs with the same key, the later
/// stays), but inserted one by one: `BTreeMap`'s `FromIterator` sorts the pairs first, with
/// its own copy of std's sort for each key and value type (3 to 8 KB of wasm each).
pub fn map_of<K: Ord, V>(pairs: impl IntoIterator<Item = (K, V)>) -> BTreeMap<K, V> {
    let mut map = BTreeMap::new();
    map.extend(pairs);
    map
}

/// The wasm32 path, and natively for big elements (the tests check it against std).
fn by_indices<T>(v: &mut [T], compare: &mut dyn FnMut(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    let mut order = sorted_indices(v.len(), &mut |i, j| compare(&v[i], &v[j]));
    permute(v, &mut order);
}

/// `0..len` sorted stably by `compare` on the indices: the one copy of std's sort.
#[inline(never)]
fn sorted_indices(len: usize, compare: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&i, &j| compare(i, j));
    order
}

/// Rearranges `v` so that the element at `i` is the one that was at `order[i]`, following each
/// cycle of the permutation once (linear time); `order` is used up as the visited marks.
fn permute<T>(v: &mut [T], order: &mut [usize]) {
    const DONE: usize = usize::MAX;
    for start in 0..order.len() {
        let mut at = start;
        while order[at] != DONE {
            let from = order[at];
            order[at] = DONE;
            if from == start {
                break;
            }
            v.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// The index path gives exactly std's stable order, ties included (the second field
        /// tells equal keys apart).
        #[test]
        fn by_indices_matches_std(keys in proptest::collection::vec(0u8..8, 0..200)) {
            let items: Vec<(u8, usize)> = keys.into_iter().enumerate().map(|(i, k)| (k, i)).collect();
            let mut expected = items.clone();
            expected.sort_by_key(|a| a.0);
            let mut got = items;
            by_indices(&mut got, &mut |a, b| a.0.cmp(&b.0));
            prop_assert_eq!(got, expected);
        }

        /// `map_of` is `collect()`: the same entries, the later of two pairs with one key.
        #[test]
        fn map_of_matches_collect(pairs in proptest::collection::vec((0u8..16, any::<u16>()), 0..100)) {
            let expected: BTreeMap<u8, u16> = pairs.iter().copied().collect();
            prop_assert_eq!(map_of(pairs), expected);
        }
    }

    #[test]
    fn by_indices_moves_owned_values() {
        let mut v = vec![
            "d".to_string(),
            "b".into(),
            "a".into(),
            "c".into(),
            "b".into(),
        ];
        by_indices(&mut v, &mut |a, b| a.cmp(b));
        assert_eq!(v, ["a", "b", "b", "c", "d"]);
    }
}
