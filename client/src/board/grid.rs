//! A uniform-grid spatial index over item rectangles, for viewport culling and hit-testing.
//!
//! Notes are about the same size, so a uniform grid beats a tree here: inserting and moving
//! are O(cells covered), and a query touches only the cells it overlaps (or, zoomed far out,
//! only the occupied cells). Items are small integer slots owned by [`super::scene`].

use rustc_hash::FxHashMap;

use super::camera::Rect;

/// Cell edge in world units: a bit more than a default note (200), so most notes cover 1–4.
const CELL: f64 = 256.0;
/// An item covering more cells than this (a huge frame) goes into one list checked always.
const MAX_ITEM_CELLS: i64 = 256;

#[derive(Debug, Default)]
pub struct Grid {
    /// FxHash, as the scene's ids (see `Scene::by_id`).
    cells: FxHashMap<(i32, i32), Vec<u32>>,
    /// Slots too large to index cell by cell.
    large: Vec<u32>,
    /// Per slot, the query number that last returned it (dedups items in several cells).
    seen: Vec<u32>,
    query: u32,
}

/// Cell range `[x0, y0, x1, y1]` (inclusive) covered by a rectangle.
fn cell_range(r: Rect) -> [i32; 4] {
    let c = |v: f64| (v / CELL).floor().clamp(i32::MIN as f64, i32::MAX as f64) as i32;
    [c(r[0]), c(r[1]), c(r[0] + r[2]), c(r[1] + r[3])]
}

fn cell_count(c: [i32; 4]) -> i64 {
    (c[2] as i64 - c[0] as i64 + 1) * (c[3] as i64 - c[1] as i64 + 1)
}

impl Grid {
    pub fn insert(&mut self, slot: u32, rect: Rect) {
        let c = cell_range(rect);
        if cell_count(c) > MAX_ITEM_CELLS {
            self.large.push(slot);
            return;
        }
        for x in c[0]..=c[2] {
            for y in c[1]..=c[3] {
                self.cells.entry((x, y)).or_default().push(slot);
            }
        }
    }

    /// Removes `slot`, which was inserted with `rect`.
    pub fn remove(&mut self, slot: u32, rect: Rect) {
        let c = cell_range(rect);
        if cell_count(c) > MAX_ITEM_CELLS {
            self.large.retain(|s| *s != slot);
            return;
        }
        for x in c[0]..=c[2] {
            for y in c[1]..=c[3] {
                if let Some(list) = self.cells.get_mut(&(x, y)) {
                    if let Some(i) = list.iter().position(|s| *s == slot) {
                        list.swap_remove(i);
                    }
                    if list.is_empty() {
                        self.cells.remove(&(x, y));
                    }
                }
            }
        }
    }

    /// Appends to `out` every slot whose cells overlap `rect`, once each (a superset of the
    /// items that intersect it: callers test the exact rectangles).
    pub fn query(&mut self, rect: Rect, out: &mut Vec<u32>) {
        self.query = self.query.wrapping_add(1);
        if self.query == 0 {
            self.seen.iter_mut().for_each(|s| *s = 0);
            self.query = 1;
        }
        let q = self.query;
        let Grid {
            cells, large, seen, ..
        } = self;
        let mut take = |slot: u32, out: &mut Vec<u32>| {
            let i = slot as usize;
            if seen.len() <= i {
                seen.resize(i + 1, 0);
            }
            if seen[i] != q {
                seen[i] = q;
                out.push(slot);
            }
        };
        let c = cell_range(rect);
        if cell_count(c) > cells.len() as i64 {
            for ((x, y), list) in cells.iter() {
                if (c[0]..=c[2]).contains(x) && (c[1]..=c[3]).contains(y) {
                    list.iter().for_each(|s| take(*s, out));
                }
            }
        } else {
            for x in c[0]..=c[2] {
                for y in c[1]..=c[3] {
                    if let Some(list) = cells.get(&(x, y)) {
                        list.iter().for_each(|s| take(*s, out));
                    }
                }
            }
        }
        large.iter().for_each(|s| take(*s, out));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(grid: &mut Grid, rect: Rect) -> Vec<u32> {
        let mut out = Vec::new();
        grid.query(rect, &mut out);
        out.sort();
        out
    }

    #[test]
    fn finds_what_overlaps_once_each() {
        let mut grid = Grid::default();
        grid.insert(0, [0.0, 0.0, 200.0, 200.0]);
        grid.insert(1, [1000.0, 1000.0, 600.0, 600.0]); // spans several cells
        grid.insert(2, [-5000.0, -5000.0, 100.0, 100.0]);
        assert_eq!(query(&mut grid, [0.0, 0.0, 1500.0, 1500.0]), vec![0, 1]);
        assert_eq!(query(&mut grid, [1200.0, 1200.0, 10.0, 10.0]), vec![1]);
        assert_eq!(query(&mut grid, [-5050.0, -5050.0, 60.0, 60.0]), vec![2]);
        // A huge query walks the occupied cells instead of the empty ones.
        assert_eq!(query(&mut grid, [-1e9, -1e9, 2e9, 2e9]), vec![0, 1, 2]);
    }

    #[test]
    fn removes_and_moves() {
        let mut grid = Grid::default();
        let a = [0.0, 0.0, 200.0, 200.0];
        grid.insert(7, a);
        grid.remove(7, a);
        assert!(query(&mut grid, a).is_empty());
        let b = [3000.0, 0.0, 200.0, 200.0];
        grid.insert(7, b);
        assert!(query(&mut grid, a).is_empty());
        assert_eq!(query(&mut grid, b), vec![7]);
    }

    #[test]
    fn huge_items_are_always_candidates() {
        let mut grid = Grid::default();
        let huge = [0.0, 0.0, 100_000.0, 100_000.0];
        grid.insert(3, huge);
        assert_eq!(query(&mut grid, [50_000.0, 50_000.0, 1.0, 1.0]), vec![3]);
        grid.remove(3, huge);
        assert!(query(&mut grid, [50_000.0, 50_000.0, 1.0, 1.0]).is_empty());
    }
}
