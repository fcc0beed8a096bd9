//! Orders: the sort keys, natural text order, and the reading order a tidy keeps.
//!
//! Every order ends with the id, so replicas that sort the same items agree on one order.

use std::cmp::Ordering;

use super::{Piece, SortKey};
use crate::model::Color;

/// `pieces` in `key`'s order. Votes tie by reading order (the order the team sees now),
/// every other key by id; reading order itself ends with the id, so the order is total.
pub(super) fn sorted<'a>(key: SortKey, pieces: &[Piece<'a>]) -> Vec<Piece<'a>> {
    if key == SortKey::Votes {
        let mut pieces = reading_order(pieces);
        // A stable sort: equal counts stay in reading order.
        crate::sort::sort_by_key(&mut pieces, |p| std::cmp::Reverse(p.votes));
        return pieces;
    }
    let mut pieces = pieces.to_vec();
    crate::sort::sort_by(&mut pieces, |a, b| compare(key, a, b));
    pieces
}

/// `a` before `b` by `key`, ties by id.
fn compare(key: SortKey, a: &Piece, b: &Piece) -> Ordering {
    let (x, y) = (a.item, b.item);
    let by = match key {
        SortKey::Color => color_rank(&x.color).cmp(&color_rank(&y.color)),
        SortKey::Tag => unset_last(x.tags.first(), y.tags.first(), |p, q| natural_cmp(p, q)),
        SortKey::Author => unset_last(non_empty(&x.author), non_empty(&y.author), |p, q| {
            natural_cmp(p, q)
        }),
        SortKey::Estimate => unset_last(x.story.estimate, y.story.estimate, |p, q| p.total_cmp(&q)),
        SortKey::Text => unset_last(non_empty(&x.text), non_empty(&y.text), |p, q| {
            natural_cmp(p, q)
        }),
        SortKey::Votes => b.votes.cmp(&a.votes),
    };
    by.then_with(|| a.id.cmp(b.id))
}

/// A colour's place in the palette; unknown colours (from a newer client) after all of
/// them, by name.
pub(super) fn color_rank(name: &str) -> (usize, &str) {
    let known = Color::ALL.iter().position(|c| c.name() == name);
    (known.unwrap_or(Color::ALL.len()), name)
}

fn non_empty(s: &str) -> Option<&str> {
    let s = s.trim();
    (!s.is_empty()).then_some(s)
}

/// Set values in `cmp`'s order, then the unset ones.
fn unset_last<T>(a: Option<T>, b: Option<T>, cmp: impl Fn(T, T) -> Ordering) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => cmp(a, b),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// Natural order ignoring case: runs of ASCII digits compare as numbers ("Story 2" before
/// "Story 10", "v02" equal to "v2" until the final tie-break), everything else by lowercase
/// characters. Strings equal that way are ordered by their lowercase, then exact, spelling,
/// so the order is total.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (x, y) = (runs(a), runs(b));
    for (p, q) in x.iter().zip(&y) {
        let o = compare_runs(p, q);
        if o != Ordering::Equal {
            return o;
        }
    }
    x.len()
        .cmp(&y.len())
        .then_with(|| lower(a).cmp(lower(b)))
        .then_with(|| a.cmp(b))
}

fn lower(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().flat_map(char::to_lowercase)
}

fn is_digits(run: &str) -> bool {
    run.starts_with(|c: char| c.is_ascii_digit())
}

fn compare_runs(p: &str, q: &str) -> Ordering {
    if is_digits(p) && is_digits(q) {
        let (p, q) = (p.trim_start_matches('0'), q.trim_start_matches('0'));
        // Without leading zeros, a longer run of digits is a bigger number.
        p.len().cmp(&q.len()).then_with(|| p.cmp(q))
    } else {
        lower(p).cmp(lower(q))
    }
}

/// `s` cut into maximal runs of ASCII digits and of everything else.
fn runs(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut digits = None;
    for (i, c) in s.char_indices() {
        let d = c.is_ascii_digit();
        if digits.is_some_and(|was| was != d) {
            out.push(&s[start..i]);
            start = i;
        }
        digits = Some(d);
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// The pieces as a person reads them: rows top to bottom, each left to right. An item
/// starts a new row when its top is below the middle of the row's first (topmost) item, so
/// a slightly crooked row still reads as one.
pub(super) fn reading_order<'a>(pieces: &[Piece<'a>]) -> Vec<Piece<'a>> {
    let mut by_top = pieces.to_vec();
    crate::sort::sort_by(&mut by_top, |a, b| {
        a.item.pos[1]
            .total_cmp(&b.item.pos[1])
            .then_with(|| a.item.pos[0].total_cmp(&b.item.pos[0]))
            .then_with(|| a.id.cmp(b.id))
    });
    let mut rows: Vec<Vec<Piece<'a>>> = Vec::new();
    let mut row_middle = f64::NEG_INFINITY;
    for piece in by_top {
        match rows.last_mut() {
            Some(row) if piece.item.pos[1] < row_middle => row.push(piece),
            _ => {
                row_middle = piece.item.pos[1] + piece.item.size[1] / 2.0;
                rows.push(vec![piece]);
            }
        }
    }
    rows.into_iter()
        .flat_map(|mut row| {
            crate::sort::sort_by(&mut row, |a, b| {
                a.item.pos[0]
                    .total_cmp(&b.item.pos[0])
                    .then_with(|| a.id.cmp(b.id))
            });
            row
        })
        .collect()
}
