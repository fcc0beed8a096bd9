//! Connectors: arrows between two items that follow them. Geometry (pure, unit-tested): the
//! arrow runs between the two rectangles' centres, clipped to their borders; a click within
//! a few pixels of it hits it. Drawing uses the items' current (possibly dragged) rectangles.

use web_sys::CanvasRenderingContext2d;

/// Arrowhead length and half-width, in screen pixels.
const HEAD_PX: f64 = 12.0;
const HEAD_HALF_PX: f64 = 5.0;
/// How close (screen px) a click must be to an arrow to hit it.
pub const HIT_PX: f64 = 6.0;

// Where an arrow starts and ends: the same geometry as the server's pictures.
pub use huddle_shared::export::picture::segment;

/// Distance from `p` to the segment `a`-`b`.
pub fn distance(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 {
        0.0
    } else {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    };
    let q = [a[0] + t * dx, a[1] + t * dy];
    (p[0] - q[0]).hypot(p[1] - q[1])
}

/// Draws an arrow from `a` to `b` (world units; `zoom` keeps the head a constant screen size).
pub fn draw(ctx: &CanvasRenderingContext2d, a: [f64; 2], b: [f64; 2], zoom: f64) {
    ctx.begin_path();
    ctx.move_to(a[0], a[1]);
    ctx.line_to(b[0], b[1]);
    ctx.stroke();
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len = dx.hypot(dy);
    if len == 0.0 {
        return;
    }
    let (ux, uy) = (dx / len, dy / len);
    let (l, w) = (HEAD_PX / zoom, HEAD_HALF_PX / zoom);
    ctx.begin_path();
    ctx.move_to(b[0], b[1]);
    ctx.line_to(b[0] - ux * l - uy * w, b[1] - uy * l + ux * w);
    ctx.line_to(b[0] - ux * l + uy * w, b[1] - uy * l - ux * w);
    ctx.close_path();
    ctx.fill();
}

#[cfg(test)]
mod tests {
    use super::*;
    use huddle_shared::export::picture::exit_point;

    #[test]
    fn clips_to_the_borders() {
        let a = [0.0, 0.0, 100.0, 100.0];
        let b = [300.0, 0.0, 100.0, 100.0];
        assert_eq!(segment(a, b), ([100.0, 50.0], [300.0, 50.0]));
        let below = [0.0, 300.0, 100.0, 100.0];
        assert_eq!(segment(a, below), ([50.0, 100.0], [50.0, 300.0]));
        // Overlapping centres: no direction, the centre itself.
        assert_eq!(exit_point(a, [50.0, 50.0]), [50.0, 50.0]);
    }

    #[test]
    fn measures_distance_to_the_segment() {
        assert_eq!(distance([5.0, 3.0], [0.0, 0.0], [10.0, 0.0]), 3.0);
        assert_eq!(distance([-4.0, 3.0], [0.0, 0.0], [10.0, 0.0]), 5.0);
        assert_eq!(distance([1.0, 1.0], [0.0, 0.0], [0.0, 0.0]), 2f64.sqrt());
    }
}
